import ArgumentParser
import CSystem
import Engine
import Foundation
import Lessons

/// Release-mode benchmarks of the hot paths. Build with `swift build -c release`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure HPACK and frame codec throughput (use a release build).", subcommands: [HPACKBench.self, FrameBench.self, LabBench.self, MemoryBench.self])

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Runs `body` repeatedly for about `seconds`; returns (iterations, elapsed).
    static func measure(seconds: Double, _ body: () -> Void) -> (Int, Double) {
        body()  // warm up
        let start = now()
        var iterations = 0
        while true {
            body()
            iterations += 1
            let elapsed = now() - start
            if elapsed >= seconds { return (iterations, elapsed) }
        }
    }

    struct HPACKBench: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hpack", abstract: "Decode and encode story files repeatedly.")
        @Argument(help: "hpack-test-case story files.") var files: [String]
        @Option(help: "Seconds per measurement.", transform: Numbers.seconds.parse) var seconds: Double = 2
        @Option(help: "Also write the stories as plain text for the nghttp2 reference helper (scripts/bench).")
        var dump: String?
        @Option(help: "Measure only this part, for profiling (\(Part.allCases.map(\.rawValue).joined(separator: ", "))).")
        var only: Part?
        @Option(help: "Run each measured part exactly this many passes over the stories, not for a time: for counting instructions under callgrind (scripts/bench hpack).")
        var passes: Int?

        enum Part: String, ExpressibleByArgument, CaseIterable {
            case decode, strings, huffman, encode
        }

        func run() throws {
            var stories: [Story] = []
            for file in files {
                let story = try HPACKStory.parse(try readInput(file))
                stories.append(story.cases.map { (Hex.decode($0.wire ?? "") ?? [], $0.headers, $0.headerTableSize) })
            }
            if let dump { try Data(Self.dumpText(stories).utf8).write(to: URL(fileURLWithPath: dump)) }
            let wireBytes = stories.joined().reduce(0) { $0 + $1.wire.count }
            let fieldCount = stories.joined().reduce(0) { $0 + $1.headers.count }
            let headerBytes = stories.joined().reduce(0) { $0 + $1.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } }
            var sink = 0
            func part(_ part: Part) -> Double { only == nil || only == part ? seconds : 0 }
            /// A part measured for its time, or run `passes` times (none when `only` leaves it out).
            func measure(_ which: Part, seconds: Double, _ body: () -> Void) -> (Int, Double) {
                guard let passes else { return Bench.measure(seconds: seconds, body) }
                guard only == nil || only == which else { return (0, 1) }
                let start = Bench.now()
                for _ in 0..<max(passes, 0) { body() }
                return (passes, max(Bench.now() - start, 1e-9))
            }
            let (decodeRuns, decodeTime) = measure(.strings, seconds: part(.strings)) {
                sink &+= Self.decodeAll(stories) { decoder, wire in (try? decoder.decode(wire).count) ?? 0 }
            }
            // The same, with each field handed out as octets (as nghttp2's inflater hands out
            // pointers); the sink reads every value's length, as the reference helper does.
            let (octetRuns, octetTime) = measure(.decode, seconds: part(.decode)) {
                sink &+= Self.decodeAll(stories) { decoder, wire in
                    var lengths = 0
                    wire.withUnsafeBufferPointer { block in _ = try? decoder.decode(block) { _, value in lengths &+= value.count } }
                    return lengths
                }
            }
            // The Huffman decoder alone, over every value of the stories Huffman-coded.
            let coded = Self.huffmanCodedValues(stories)
            let codedBytes = coded.reduce(0) { $0 + $1.count }
            var scratch = [UInt8](repeating: 0, count: 1 << 16)
            let (huffmanRuns, huffmanTime) = measure(.huffman, seconds: part(.huffman) / 2) {
                scratch.withUnsafeMutableBufferPointer { output in
                    for octets in coded {
                        octets.withUnsafeBufferPointer { sink &+= (try? HuffmanCoding.decode($0, into: output, offset: 0)) ?? 0 }
                    }
                }
            }
            var out: [UInt8] = []
            out.reserveCapacity(1 << 16)
            let (encodeRuns, encodeTime) = measure(.encode, seconds: part(.encode)) { sink &+= Self.encode(stories, reusing: &out) }
            print("files: \(files.count), header blocks: \(stories.joined().count), wire octets: \(wireBytes), fields: \(fieldCount)")
            print(String(format: "decode MB/s: %.1f  (each field handed out as octets)", Double(wireBytes * octetRuns) / octetTime / 1e6))
            print(String(format: "decode to strings MB/s: %.1f  (each field made a HeaderField of two Strings)", Double(wireBytes * decodeRuns) / decodeTime / 1e6))
            print(String(format: "decode fields/s: %.0f  (as octets)", Double(fieldCount * octetRuns) / octetTime))
            print(String(format: "huffman decode MB/s: %.1f  (the values alone, Huffman-coded)", Double(codedBytes * huffmanRuns) / huffmanTime / 1e6))
            print(String(format: "encode MB/s: %.1f", Double(headerBytes * encodeRuns) / encodeTime / 1e6) + "  (header name+value octets in)")
            print("encoded octets: \(Self.encodedOctets(stories))  (header name+value octets in: \(headerBytes))")
            if sink == 42 { print("") }
        }

        /// Every field value of the stories, Huffman-coded (the Huffman decoder's input alone).
        static func huffmanCodedValues(_ stories: [Story]) -> [[UInt8]] {
            stories.joined().flatMap { $0.headers }.map { field -> [UInt8] in
                var octets: [UInt8] = []
                HuffmanCoding.encode(Array(field.value.utf8), into: &octets)
                return octets
            }
        }

        /// The octets the stories' blocks take when encoded again, each story on a connection of its own.
        static func encodedOctets(_ stories: [Story]) -> Int {
            var encoded = 0
            for story in stories {
                var encoder = HPACKEncoder(policy: .network)
                for item in story { encoded += encoder.encode(item.headers).bytes.count }
            }
            return encoded
        }

        typealias Story = [(wire: [UInt8], headers: [HeaderField], tableSize: Int?)]

        /// The stories as text for the reference helper: S starts a story; W is a block's wire
        /// octets (hex); H name TAB value; E ends a block.
        static func dumpText(_ stories: [Story]) -> String {
            var text = ""
            for story in stories {
                text += "S\n"
                for item in story {
                    text += "W " + Hex.encode(item.wire) + "\n"
                    for field in item.headers { text += "H \(field.name)\t\(field.value)\n" }
                    text += "E\n"
                }
            }
            return text
        }

        /// One pass over every block, each story with a fresh decoder at its table sizes; `decode`
        /// decodes one block and says what the sink adds.
        @inline(__always)  // the measured loop stays what it was when each part wrote it out
        static func decodeAll(_ stories: [Story], _ decode: (inout HPACKDecoder, [UInt8]) -> Int) -> Int {
            var sink = 0
            for story in stories {
                var decoder = HPACKDecoder()
                for item in story {
                    if let size = item.tableSize { decoder.setSettingsLimit(size) }
                    sink &+= decode(&decoder, item.wire)
                }
            }
            return sink
        }

        /// One pass encoding every header list into one reused buffer; returns a sink.
        static func encode(_ stories: [Story], reusing out: inout [UInt8]) -> Int {
            var sink = 0
            for story in stories {
                var encoder = HPACKEncoder(policy: .network)
                for item in story {
                    out.removeAll(keepingCapacity: true)
                    encoder.encode(item.headers, into: &out)
                    sink &+= out.count
                }
            }
            return sink
        }
    }

    struct FrameBench: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "frames", abstract: "Encode and decode a mix of frames.")
        @Option(help: "Seconds per measurement.", transform: Numbers.seconds.parse) var seconds: Double = 2

        func run() throws {
            var frames: [Frame] = []
            for i in 0..<100 {
                let id = UInt32(2 * i + 1)
                frames.append(.headers(id, block: [UInt8](repeating: 0x82, count: 40)))
                frames.append(.data(id, [UInt8](repeating: 0x61, count: 1024), endStream: true))
                frames.append(.windowUpdate(id, increment: 1024))
                frames.append(.settings([Setting(.maxConcurrentStreams, 100)]))
                frames.append(.ping(UInt64(i)))
            }
            var stream: [UInt8] = []
            for frame in frames { FrameEncoder.encode(frame, into: &stream) }
            var sink = 0
            let (encodeRuns, encodeTime) = Bench.measure(seconds: seconds) {
                var out: [UInt8] = []
                out.reserveCapacity(stream.count)
                for frame in frames { FrameEncoder.encode(frame, into: &out) }
                sink &+= out.count
            }
            let (decodeRuns, decodeTime) = Bench.measure(seconds: seconds) {
                var decoder = FrameDecoder(expectPreface: false)
                decoder.append(stream)
                while let item = decoder.next() { if case .frame = item { sink &+= 1 } }
            }
            print("frames per pass: \(frames.count), octets per pass: \(stream.count)")
            print(String(format: "frame decode: %.2f M frames/s, %.0f MB/s", Double(frames.count * decodeRuns) / decodeTime / 1e6,
                         Double(stream.count * decodeRuns) / decodeTime / 1e6))
            print(String(format: "frame encode: %.2f M frames/s, %.0f MB/s", Double(frames.count * encodeRuns) / encodeTime / 1e6,
                         Double(stream.count * encodeRuns) / encodeTime / 1e6))
            if sink == 42 { print("") }
        }
    }

    struct LabBench: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lab", abstract: "Time stepping (deliver + render one frame) and `back`.")
        @Option(help: "Deliveries to make before measuring back.", transform: Numbers.repetitions.parse) var deliveries = 10_000

        func run() throws {
            var session = Session()
            var delivered = 0
            var stepTime = 0.0
            var rendered = 0
            while delivered < deliveries {
                _ = session.execute("request GET /json")
                while delivered < deliveries {
                    let start = Bench.now()
                    let output = session.execute("step")
                    stepTime += Bench.now() - start
                    rendered += output.lines.count
                    if output.lines.first?.contains("the wire is empty") == true { break }
                    delivered += 1
                }
            }
            print(String(format: "step (deliver and render one frame): %.1f µs on average over %d deliveries (%d lines)",
                         stepTime / Double(delivered) * 1e6, delivered, rendered))
            var times: [Double] = []
            for _ in 0..<5 {
                let start = Bench.now()
                _ = session.execute("back 1")
                times.append(Bench.now() - start)
            }
            print(String(format: "back 1 after %d deliveries: %.1f µs (median of 5)", delivered, times.sorted()[2] * 1e6))
            var fresh = Session()
            _ = fresh.execute("request GET /json")
            _ = fresh.execute("step 3")
            let start = Bench.now()
            _ = fresh.execute("back 1")
            print(String(format: "back 1 after 3 deliveries: %.1f µs", (Bench.now() - start) * 1e6))
        }
    }

    struct MemoryBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "memory",
            abstract: "The heap one classroom student's lab holds after a lesson, and where it goes.",
            discussion: "Each student runs the lesson in class mode as scripts/bench class's do (Enter through it, `a` to a "
                + "prediction, `skip` to an exercise), bounded after every command as the classroom bounds it, and keeps "
                + "its screen's lines. The heap in use (glibc's mallinfo2) is read before and after, then again as each "
                + "part is let go.")
        @Option(help: "The lesson.") var lesson = "05-multiplexing"
        @Option(help: "The lessons' folder.") var lessons = "lessons"
        @Option(help: "Students (each with a lab of their own).", transform: Numbers.repetitions.parse) var students = 50

        func run() throws {
            let script = try LessonScript.load(path: LessonRunner.resolve(lesson, in: lessons))
            print("sizes inline: LabState \(MemoryLayout<LabState>.size) octets, Connection \(MemoryLayout<Connection>.size), "
                  + "Delivery \(MemoryLayout<Delivery>.size), Session \(MemoryLayout<Session>.size)")
            let start = h2lab_heap_in_use()
            var runs: [ClassRun] = []
            var screens: [[String]] = []
            var commands = 0
            for _ in 0..<students {
                var session = Session(palette: .plain, directory: script.folder)
                session.capabilities = .classroom
                session.deliveryLimit = 2_000
                var run = ClassRun(script: script, session: session)
                var screen = run.start()
                for _ in 0..<400 where run.mode != .finished {
                    screen += run.input(run.mode == .prediction ? "a" : run.mode == .exercise ? "skip" : "")
                    run.bound(snapshots: 400, transcriptLines: 2_000)
                    commands += 1
                }
                runs.append(run)
                screens.append(Array(screen.suffix(3_000)))
            }
            let all = h2lab_heap_in_use()
            let deliveries = runs.map(\.session.lab.log.count).reduce(0, +)
            func perStudent(_ octets: Int) -> String { String(format: "%.3f MiB", Double(octets) / Double(students) / 1_048_576) }
            print("\(students) students, \(lesson): \(commands / students) commands, \(deliveries / students) deliveries and "
                  + "\(runs[0].session.transcript.count) transcript lines each")
            print("heap per student after the lesson: \(perStudent(all - start))")
            screens = []
            let noScreens = h2lab_heap_in_use()
            print("  their screens' lines (the classroom keeps 3 000 for a reload): \(perStudent(all - noScreens))")
            for i in runs.indices { runs[i].bound(snapshots: 400, transcriptLines: 0) }
            let noTranscripts = h2lab_heap_in_use()
            print("  the sessions' transcripts: \(perStudent(noScreens - noTranscripts))")
            for i in runs.indices { runs[i].bound(snapshots: 0, transcriptLines: 0) }
            let noSnapshots = h2lab_heap_in_use()
            print("  the snapshots for `back` (and the log beside them) no undo point shares: \(perStudent(noTranscripts - noSnapshots))")
            print("  the rest (labs, undo points, saved sessions, the lesson): \(perStudent(noSnapshots - start))")
        }
    }
}
