import Engine
import Foundation

/// A web server's page files (HTML, CSS, JS, SVG), read once from the SwiftPM resource bundle built
/// beside the executable, or from where `scripts/install` put them. The panel's by default; the
/// classroom has its own (`Place`).
public struct PanelAssets: Sendable {
    let files: [String: [UInt8]]

    public init(files: [String: [UInt8]]) { self.files = files }

    public subscript(name: String) -> [UInt8]? { files[name] }

    /// A page file as a response with its content type, or 404 (the panel's and the classroom's).
    public func response(_ name: String) -> SiteResponse {
        guard let body = files[name] else { return PanelApp.json(404, ["error": "no such asset"]) }
        let type = switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
        return SiteResponse(status: 200, headers: [HeaderField("content-type", type)], body: body)
    }

    public static let names = ["login.html", "panel.html", "panel.css", "panel.js", "favicon.svg"]

    /// Where a module's page files are looked for.
    public struct Place: Sendable {
        /// The environment variable that names their folder.
        public var variable: String
        /// The SwiftPM resource bundle's name beside the executable ("H2Lab_Panel.resources").
        public var bundle: String
        /// The folder under PREFIX/share/h2lab.
        public var share: String
        /// The folder in a checkout.
        public var source: String
        public var names: [String]

        public init(variable: String, bundle: String, share: String, source: String, names: [String]) {
            self.variable = variable
            self.bundle = bundle
            self.share = share
            self.source = source
            self.names = names
        }

        public static let panel = Place(variable: "H2LAB_PANEL_ASSETS", bundle: "H2Lab_Panel.resources", share: "panel",
                                        source: "Sources/Panel/Resources", names: PanelAssets.names)
    }

    /// The folders looked in, in order: $H2LAB_PANEL_ASSETS, the resource bundle beside the
    /// executable, PREFIX/share/h2lab/panel, and the checkout's Sources/Panel/Resources.
    public static func candidates(executable: URL, place: Place = .panel) -> [String] {
        var list: [String] = []
        if let set = ProcessInfo.processInfo.environment[place.variable], !set.isEmpty { list.append(set) }
        let directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        list.append(directory.appendingPathComponent(place.bundle + "/Resources").path)
        list.append(directory.deletingLastPathComponent().appendingPathComponent("share/h2lab/" + place.share).path)
        var up = directory
        for _ in 0..<5 {
            list.append(up.appendingPathComponent(place.source).path)
            up.deleteLastPathComponent()
        }
        return list
    }

    /// The assets from the first folder that has them all; nil if none does.
    public static func load(executable: URL, place: Place = .panel) -> (assets: PanelAssets, folder: String)? {
        for folder in candidates(executable: executable, place: place) {
            var files: [String: [UInt8]] = [:]
            for name in place.names {
                guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { break }
                files[name] = Array(data)
            }
            if files.count == place.names.count { return (PanelAssets(files: files), folder) }
        }
        return nil
    }
}
