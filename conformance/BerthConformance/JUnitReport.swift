import Foundation

/// The results as JUnit XML: one `testsuite` per section, one `testcase` per check.
enum JUnitReport {
    static func xml(_ results: [CheckResult], name: String = "berth-conformance") -> String {
        let sections = Dictionary(grouping: results, by: \.check.suite)
        let order = results.map(\.check.suite).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"\(escape(name))\" \(counts(results))>\n"
        for section in order {
            let cases = sections[section] ?? []
            xml += "  <testsuite name=\"\(escape(section))\" \(counts(cases))>\n"
            for result in cases {
                let attributes =
                    "name=\"\(escape(result.check.shortName))\" classname=\"\(escape(section))\" time=\"\(CheckResult.seconds(result.duration))\""
                switch result.outcome {
                case .pass:
                    xml += "    <testcase \(attributes)/>\n"
                case .fail(let reason):
                    xml += "    <testcase \(attributes)>\n"
                    xml += "      <failure message=\"\(escape(reason))\">\(escape(reason))</failure>\n"
                    xml += "    </testcase>\n"
                case .skip(let reason):
                    xml += "    <testcase \(attributes)>\n"
                    xml += "      <skipped message=\"\(escape(reason))\"/>\n"
                    xml += "    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    private static func counts(_ results: [CheckResult]) -> String {
        let failures = results.filter { if case .fail = $0.outcome { true } else { false } }.count
        let skipped = results.filter { if case .skip = $0.outcome { true } else { false } }.count
        let time = results.reduce(Duration.zero) { $0 + $1.duration }
        return "tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(CheckResult.seconds(time))\""
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out += "&#\(scalar.value);"
            default:
                // XML 1.0 cannot carry other control characters at all.
                if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
