import Engine

/// `undo`: the lab as it was before the last command that could change it (RFC-independent: a
/// teaching aid, like Learn Git Branching's). `back` rewinds deliveries only; `undo` takes back a
/// queued request, a setting, a policy or a delivery alike. The lab is a value, so a point kept
/// here shares its storage with the live lab until one of them changes.
struct UndoPoint: Sendable {
    var line: String
    var lab: Lab
    var breakpoints: [(number: Int, breakpoint: Breakpoint)]
    var nextBreakpointNumber: Int
    var autoDeliver: Bool
}

extension Command {
    /// Commands that only look (or print): they change neither the lab nor the session's
    /// breakpoints. Class mode lets a student run them without the lab needing to be put back;
    /// `undo` has nothing to take back for them.
    var onlyLooks: Bool {
        switch self {
        case .show, .help, .expect, .listBreaks, .say, .save, .clear: return true
        default: return false
        }
    }
}

extension Session {
    /// How many commands `undo` can take back.
    static let undoDepth = 50

    /// Keeps the lab as it is before `command` runs, when `undo` could take the command back.
    mutating func keepUndoPoint(before command: Command, line: String) {
        switch command {
        case .undo, .quit, .lesson: return
        default: break
        }
        guard !command.onlyLooks, remote == nil, upstream == nil else { return }
        undoPoints.append(UndoPoint(line: line, lab: lab, breakpoints: breakpoints,
                                    nextBreakpointNumber: nextBreakpointNumber, autoDeliver: autoDeliver))
        if undoPoints.count > Self.undoDepth { undoPoints.removeFirst(undoPoints.count - Self.undoDepth) }
    }

    mutating func undo() throws -> [String] {
        if remote != nil || upstream != nil {
            throw CommandError("undo works on the in-memory lab: what was sent to a real peer cannot be taken back",
                               hint: "`back N` rewinds what the lab shows; `reconnect` starts afresh")
        }
        guard let point = undoPoints.popLast() else { return ["  nothing to undo"] }
        lab = point.lab
        breakpoints = point.breakpoints
        nextBreakpointNumber = point.nextBreakpointNumber
        autoDeliver = point.autoDeliver
        return ["  undone: \(point.line)"] + renderer.wire(lab)
    }
}
