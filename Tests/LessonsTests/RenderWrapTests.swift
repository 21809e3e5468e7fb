import Testing
@testable import Lessons

/// `Renderer.wrap`: a line longer than 100 columns is split at a space; one that fits is kept whole,
/// however many octets or Unicode scalars its characters take.
@Suite("The renderer's line wrap: columns are characters, counted cheaply when that is safe")
struct RenderWrapTests {
    let renderer = Renderer()

    @Test("100 characters of three octets each (the ladder's box drawing) fit; 101 do not")
    func boxDrawing() {
        let fits = String(repeating: "─", count: 100)
        #expect(renderer.wrap(fits) == [fits])
        let over = String(repeating: "─", count: 60) + " " + String(repeating: "─", count: 40)
        #expect(renderer.wrap(over) == [String(repeating: "─", count: 60), "       " + String(repeating: "─", count: 40)])
    }

    @Test("characters of two scalars each (e + combining acute): 90 characters are 180 scalars and still fit")
    func combiningMarks() {
        let line = String(repeating: "e\u{301}", count: 90)
        #expect(line.unicodeScalars.count == 180 && line.count == 90)
        #expect(renderer.wrap(line) == [line])
        let long = String(repeating: "e\u{301}", count: 70) + " " + String(repeating: "e\u{301}", count: 40)
        #expect(renderer.wrap(long).count == 2, "111 characters wrap at the space")
    }

    @Test("ASCII over 100 columns wraps at the last space before the width; the continuation is indented")
    func ascii() {
        let words = (1...30).map { "word\($0)" }.joined(separator: " ")
        let lines = renderer.wrap(words)
        #expect(words.count == 200 && lines.count == 3)
        #expect(lines.allSatisfy { $0.count <= 100 && !$0.hasSuffix(" ") })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("       word") })
        #expect(([lines[0]] + lines.dropFirst().map { String($0.dropFirst(7)) }).joined(separator: " ") == words, "the same words, in order")
    }

    @Test("colour escapes take no columns: 100 visible characters in colour fit")
    func escapes() {
        let line = "\u{1b}[1m" + String(repeating: "x", count: 100) + "\u{1b}[0m"
        #expect(renderer.wrap(line) == [line])
    }
}
