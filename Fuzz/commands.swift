// libFuzzer target: the REPL's and lessons' command parser on arbitrary lines, and the lesson
// format on arbitrary files: a message and a hint, never a crash.
import Lessons

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommands(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        _ = CommandParser.parse(String(line))
    }
    _ = try? LessonScript.parse(name: "fuzz", path: "fuzz.lesson", text: text)
    return 0
}
