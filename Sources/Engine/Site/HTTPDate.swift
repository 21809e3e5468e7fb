/// A moment as HTTP writes it: IMF-fixdate, the preferred format of RFC 9110 §5.6.7
/// ("Sun, 06 Nov 1994 08:49:37 GMT"), always in GMT, 29 octets. Pure: the caller says which
/// second (the engine has no clock; `serve` reads the time, the lab has none).
public enum HTTPDate {
    /// IMF-fixdate for `seconds` since 1970-01-01T00:00:00Z (leap seconds aside, as POSIX time).
    public static func format(secondsSince1970 seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let (year, month, day) = civil(daysSince1970: days)
        // 1970-01-01 was a Thursday (index 4, counting from Sunday).
        let weekday = ((days % 7) + 11) % 7
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out += weekdays[weekday].utf8
        out += ", ".utf8
        two(day, &out)
        out.append(0x20)
        out += months[month - 1].utf8
        out.append(0x20)
        two(year / 100, &out)
        two(year % 100, &out)
        out.append(0x20)
        two(second / 3_600, &out)
        out.append(0x3a)
        two(second / 60 % 60, &out)
        out.append(0x3a)
        two(second % 60, &out)
        out += " GMT".utf8
        return String(decoding: out, as: UTF8.self)
    }

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func two(_ n: Int, _ out: inout [UInt8]) {
        out.append(0x30 + UInt8(n / 10 % 10))
        out.append(0x30 + UInt8(n % 10))
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01: years of 400 (146 097 days)
    /// repeat exactly, and counting from 1 March puts the leap day at the end of a year.
    static func civil(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
