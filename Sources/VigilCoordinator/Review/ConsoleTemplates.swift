import Mustache

/// The review console's Mustache templates, compiled into the binary (no files to find at run time).
///
/// Every value is written with `{{…}}`, which HTML-escapes it (`& < > " '`); triple braces are never used,
/// because alert fields, rationales and tool output are attacker-controlled text. Attribute values are
/// always double-quoted. There is no script and no inline style: the Content-Security-Policy forbids both.
enum ConsoleTemplates {
    /// The template library; building it fails only if a template below does not parse (a test renders each).
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in templates { try library.register(text, named: name) }
        return library
    }

    static let templates: [(String, String)] = [
        ("header", header), ("footer", footer), ("formGuard", formGuard),
        ("signin", signin), ("queue", queue), ("detail", detail), ("message", message),
    ]

    static let header = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Vigil review</title><link rel="stylesheet" href="/console.css"></head>
        <body><header><a class="brand" href="/">Vigil review</a>
        {{#actor}}<span class="who">signed in as <strong id="actor">{{actor}}</strong></span>
        <form method="post" action="/signout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" id="signout">Sign out</button></form>{{/actor}}
        </header><main>
        {{#error}}<p class="error" id="error" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}

        """

    /// The CSRF token and the review version every action form carries.
    static let formGuard = """
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="version" value="{{review.version}}">
        """

    static let footer = """
        </main><footer>Vigil recommends; people decide. Nothing here executes containment.</footer></body></html>

        """

    static let signin = """
        {{> header}}
        <h1>Sign in</h1>
        <form method="post" action="/signin" id="signin-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="token">Review token</label>
        <input type="password" id="token" name="token" autocomplete="off" required>
        <button type="submit" id="signin">Sign in</button>
        </form>
        {{> footer}}
        """

    static let queue = """
        {{> header}}
        <h1>Escalations</h1>
        <nav class="tabs">{{#tabs}}<a href="{{href}}"{{#current}} class="current"{{/current}}>{{label}}</a>{{/tabs}}</nav>
        {{^items_any}}<p id="empty">No escalations here.</p>{{/items_any}}
        {{#items_any}}
        <table id="queue"><thead><tr><th>Escalated</th><th>Severity</th><th>Kind</th><th>Principal</th><th>Resource</th>
        <th>State</th><th>Assignee</th><th></th></tr></thead><tbody>
        {{#items}}<tr class="escalation"><td>{{escalatedAt}}</td><td class="sev-{{severity}}">{{severity}}</td><td>{{kind}}</td>
        <td class="principal">{{principal}}</td><td>{{resource}}</td><td class="state">{{state}}</td><td>{{assignee}}</td>
        <td><a class="open" href="/escalations/{{id}}">Open</a></td></tr>
        {{/items}}</tbody></table>
        {{/items_any}}
        {{#next}}<p><a id="next" href="{{next}}">Older escalations →</a></p>{{/next}}
        {{> footer}}
        """

    static let detail = """
        {{> header}}
        <h1>Escalation <code id="alert-id">{{id}}</code></h1>
        <section id="review"><h2>Review</h2><dl>
        <dt>State</dt><dd id="state">{{review.state}}</dd><dt>Version</dt><dd id="version">{{review.version}}</dd>
        <dt>Assignee</dt><dd id="assignee">{{review.assignee}}</dd>
        <dt>Approved containment</dt><dd id="approved">{{#review.approvedAction}}{{review.approvedAction}}
        — by {{review.approvedBy}} at {{review.approvedAt}}{{/review.approvedAction}}</dd>
        <dt>Close reason</dt><dd id="close-reason">{{review.closeReason}}</dd>
        </dl>
        <div class="actions">
        {{#canAct}}
        <form method="post" action="/escalations/{{id}}/acknowledge">{{> formGuard}}
        <button type="submit" id="acknowledge">Acknowledge</button></form>
        <form method="post" action="/escalations/{{id}}/assign">{{> formGuard}}
        <label for="assignee-input">Assign to</label><input id="assignee-input" name="assignee" required maxlength="200">
        <button type="submit" id="assign">Assign</button></form>
        {{#verdict.recommendedAction}}<form method="post" action="/escalations/{{id}}/approve">{{> formGuard}}
        <button type="submit" id="approve">Approve recommended containment</button></form>{{/verdict.recommendedAction}}
        <form method="post" action="/escalations/{{id}}/close" id="close-form">{{> formGuard}}
        <label for="reason">Reason for closing</label><textarea id="reason" name="reason" required maxlength="4000"></textarea>
        <button type="submit" id="close">Close</button></form>
        {{/canAct}}
        {{#canReopen}}<form method="post" action="/escalations/{{id}}/reopen">{{> formGuard}}
        <button type="submit" id="reopen">Reopen</button></form>{{/canReopen}}
        </div></section>

        <section id="alert"><h2>Alert</h2><dl>
        {{#alertFields}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/alertFields}}
        </dl><h3>Payload</h3><pre id="payload">{{payload}}</pre></section>

        <section id="verdict"><h2>Verdict</h2><dl>
        <dt>Decided by</dt><dd>{{verdict.decidedBy}}</dd><dt>Confidence</dt><dd>{{verdict.confidence}}</dd>
        <dt>Rationale</dt><dd id="rationale">{{verdict.rationale}}</dd>
        <dt>Recommended containment</dt><dd id="recommended">{{verdict.recommendedAction}}</dd>
        <dt>Guardrails</dt><dd id="guardrails">{{#verdict.guardrails}}<span class="tag">{{.}}</span> {{/verdict.guardrails}}</dd>
        <dt>Flags</dt><dd>{{#verdict.flags}}<span class="tag">{{.}}</span> {{/verdict.flags}}</dd>
        </dl></section>

        <section id="rule-hits"><h2>Rule hits</h2>
        {{^ruleHits_any}}<p>None.</p>{{/ruleHits_any}}
        {{#ruleHits_any}}<table><thead><tr><th>Rule</th><th>Title</th><th>Level</th><th>Author</th></tr></thead><tbody>
        {{#ruleHits}}<tr><td>{{ruleID}}</td><td>{{title}}</td><td>{{level}}</td><td class="author">{{author}}</td></tr>{{/ruleHits}}
        </tbody></table>{{/ruleHits_any}}</section>

        <section id="evidence"><h2>Evidence</h2>
        {{^evidence_any}}<p>None cited.</p>{{/evidence_any}}
        {{#evidence_any}}<table><tbody>{{#evidence}}<tr><th>{{path}}</th><td>{{value}}</td></tr>{{/evidence}}</tbody></table>{{/evidence_any}}
        </section>

        {{#triageSections}}<section class="triage" id="triage-{{anchor}}"><h2>Triage: {{name}}</h2>
        <table><tbody>{{#entries}}<tr><th>{{path}}</th><td>{{value}}</td></tr>{{/entries}}</tbody></table></section>
        {{/triageSections}}

        <section id="audit"><h2>Audit trail</h2>
        {{^audit_any}}<p>No review action yet.</p>{{/audit_any}}
        {{#audit_any}}<table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>From</th><th>To</th><th>Detail</th></tr></thead><tbody>
        {{#audit}}<tr class="audit"><td>{{at}}</td><td>{{actor}}</td><td class="action">{{action}}</td>
        <td>{{from}}</td><td>{{to}}</td><td>{{detail}}</td></tr>{{/audit}}
        </tbody></table>{{/audit_any}}</section>
        <p><a href="/">← Back to the queue</a></p>
        {{> footer}}
        """

    static let message = """
        {{> header}}
        <h1>{{title}}</h1><p><a href="/">Back to the queue</a></p>
        {{> footer}}
        """

    static let stylesheet = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
        header{display:flex;gap:1em;align-items:center;padding:.6em 1.2em;background:#1d2330;color:#fff}
        header a.brand{color:#fff;font-weight:600;text-decoration:none}header .who{margin-left:auto}
        main{padding:1em 1.5em;max-width:1200px}footer{padding:1em 1.5em;color:#667}
        table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0}
        th,td{border:1px solid #dde;padding:.3em .5em;text-align:left;vertical-align:top}
        th{background:#eef0f4;font-weight:600;white-space:nowrap}td{overflow-wrap:break-word}td.principal{word-break:break-all}
        pre{background:#fff;border:1px solid #dde;padding:.6em;overflow:auto;max-height:24em;white-space:pre-wrap;word-break:break-all}
        section{margin-bottom:1.4em}dl{display:grid;grid-template-columns:14em 1fr;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
        .error{background:#fde8e8;border:1px solid #e0a0a0;padding:.5em}.notice{background:#e8f4fd;border:1px solid #a0c4e0;padding:.5em}
        .tabs a{margin-right:1em}.tabs a.current{font-weight:700}.tag{background:#eef0f4;border-radius:3px;padding:0 .3em}
        .sev-critical,.sev-high{color:#a01010;font-weight:600}.actions form{margin:.4em 0}form.inline{display:inline}
        textarea{width:100%;min-height:4em}label{margin-right:.5em}
        """
}
