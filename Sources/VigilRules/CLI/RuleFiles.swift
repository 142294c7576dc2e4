import Foundation

/// Reads rule files from disk for ``RuleSet/load(paths:options:)`` and `vigil rules check`.
public enum RuleFiles {
    /// Every `.yml`/`.yaml` file under `paths` (directories searched recursively), sorted by path, with read errors.
    public static func read(paths: [String]) -> ([RuleSource], [RuleLoadError]) {
        var sources: [RuleSource] = []
        var errors: [RuleLoadError] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                errors.append(RuleLoadError(code: .unreadable, file: path, message: "no such file or directory"))
                continue
            }
            var files: [String] = []
            if isDirectory.boolValue {
                let enumerator = manager.enumerator(atPath: path)
                while let relative = enumerator?.nextObject() as? String {
                    if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") {
                        files.append((path as NSString).appendingPathComponent(relative))
                    }
                }
                files.sort()
            } else {
                files = [path]
            }
            for file in files {
                guard let data = manager.contents(atPath: file) else {
                    errors.append(RuleLoadError(code: .unreadable, file: file, message: "cannot be read"))
                    continue
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    errors.append(RuleLoadError(code: .unreadable, file: file, message: "not UTF-8 text"))
                    continue
                }
                sources.append(RuleSource(name: file, text: text))
            }
        }
        return (sources, errors)
    }
}
