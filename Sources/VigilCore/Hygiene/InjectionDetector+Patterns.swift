extension InjectionDetector {
    /// A phrase pattern over normalised words.
    ///
    /// Written as space-separated slots: `a|b|c` one of these words, `?a|b` optionally one of these words, `~N` up to N
    /// other words. Gaps never cross a negation (`not`, `no`, `never`), so "is not authorized" is not "is authorized".
    struct Pattern: Sendable {
        enum Slot: Sendable {
            case words(Set<String>)
            case optional(Set<String>)
            case gap(Int)
        }

        var id: String
        var category: InjectionSignal.Category
        var strong: Bool
        var slots: [Slot]

        init(_ id: String, _ category: InjectionSignal.Category, strong: Bool = true, _ spec: String) {
            self.id = id
            self.category = category
            self.strong = strong
            self.slots = spec.split(separator: " ").map { token in
                if token.hasPrefix("~") { return .gap(Int(token.dropFirst()) ?? 1) }
                if token.hasPrefix("?") { return .optional(Set(token.dropFirst().split(separator: "|").map(String.init))) }
                return .words(Set(token.split(separator: "|").map(String.init)))
            }
        }

        /// The words that may start a match.
        var firstWords: Set<String> {
            if case .words(let set) = slots.first { return set }
            return []
        }

        func matches(_ words: [String], at start: Int) -> Bool { match(slot: 0, word: start, words) }

        private func match(slot: Int, word: Int, _ words: [String]) -> Bool {
            guard slot < slots.count else { return true }
            switch slots[slot] {
            case .words(let set):
                guard word < words.count, set.contains(words[word]) else { return false }
                return match(slot: slot + 1, word: word + 1, words)
            case .optional(let set):
                if word < words.count, set.contains(words[word]), match(slot: slot + 1, word: word + 1, words) { return true }
                return match(slot: slot + 1, word: word, words)
            case .gap(let limit):
                var skip = 0
                while skip <= limit, word + skip <= words.count {
                    if match(slot: slot + 1, word: word + skip, words) { return true }
                    if word + skip < words.count, Self.negations.contains(words[word + skip]) { return false }
                    skip += 1
                }
                return false
            }
        }

        static let negations: Set<String> = ["not", "no", "never", "nt", "isn", "wasn", "aren", "cannot", "unable", "un"]
    }

    struct Catalogue: Sendable {
        var patterns: [Pattern]
        var byFirstWord: [String: [Int]]

        init(_ patterns: [Pattern]) {
            self.patterns = patterns
            var index: [String: [Int]] = [:]
            for (i, pattern) in patterns.enumerated() {
                for word in pattern.firstWords { index[word, default: []].append(i) }
            }
            self.byFirstWord = index
        }
    }

    static let addressees = "ai|assistant|llm|chatbot|claude|gpt|chatgpt|copilot|gemini|analyst|analysts|triager|llama|mistral"
    static let strongBenign = "benign|falsepositive|harmless|nonmalicious|notmalicious|whitelisted|allowlisted|noise|falsealarm"
    static let weakBenign =
        "safe|resolved|closed|legitimate|expected|authorized|authorised|sanctioned|approved|informational|low|lowrisk|close|monitor|"
        + "test|testing|drill|exercise|routine|noise|trusted|fine|ok|okay"
    static let verdictVerbs =
        "mark|marking|classify|classifying|label|labeling|treat|treating|categorize|categorise|consider|record|resolve|deem|"
        + "assess|triage|dismiss|downgrade|close|closing|flag|rate|regard|designate|report|set|conclude|determine|confirm|"
        + "considera|considere|considérez|considère|betrachte|behandle|trate|trata|tratta|traite|traitez|markiere|marque|marca"
    static let instructionNouns =
        "instructions|instruction|prompt|prompts|rules|directions|directives|guidelines|guidance|constraints|guardrails|"
        + "safeguards|programming|training|orders|commands|systemprompt|restrictions|everything|above"

    /// "this activity is", "the request was", "these events have been", …
    static let claimSubject =
        "this|the|that|these|it ~1 activity|alert|alerts|event|events|finding|findings|request|requests|behavior|behaviour|traffic|access|"
        + "login|action|call|calls|session|change|changes|operation|detection|incident|user|principal ~1 is|was|are|were|has|have|s ~3"

    static let catalogue = Catalogue([
        // Overriding the model's own instructions.
        Pattern(
            "ignore_previous",
            .overrideInstruction,
            "ignore|ignoring|disregard|disregarding|forget|override|overriding|bypass|neglect|abandon|discard ~4 \(instructionNouns)"
        ),
        Pattern(
            "ignore_previous_foreign",
            .overrideInstruction,
            "ignora|ignorez|ignoriere|ignorieren|ignorar|ignorate|oublie|oubliez|vergiss|olvida|esquece|esqueça|игнорируй|игнорируйте|"
                + "забудь|забудьте|проигнорируй ~4 instrucciones|instructions|consignes|anweisungen|instruktionen|instruções|instrucoes|"
                + "istruzioni|инструкции|указания|инструкций|regeln|règles|reglas"
        ),
        Pattern(
            "new_instructions",
            .overrideInstruction,
            "new|updated|revised|real|actual|true|hidden|secret|additional|important|urgent|override ?system "
                + "instructions|instruction|directive|directives|orders|"
                + "systemprompt|prompt|guidance|task"
        ),
        Pattern("jailbreak", .overrideInstruction, "developermode|jailbreak|jailbroken|jailbreaking"),
        Pattern("system_prompt", .overrideInstruction, strong: false, "systemprompt"),
        Pattern(
            "your_instructions",
            .overrideInstruction,
            "your|the|my prompt|instructions|programming|directives|systemprompt ~2 are|is|say|says|now"
        ),
        Pattern("you_are_now", .overrideInstruction, "youare now|no ?longer"),
        Pattern("from_now_on", .overrideInstruction, "from now on"),
        Pattern("pretend", .overrideInstruction, "pretend|roleplay|imagine ~1 to|you|that ~2 be|are|youare"),
        Pattern("act_as", .overrideInstruction, strong: false, "act|behave|respond|operate as|like ?a|an|the"),
        Pattern(
            "dont_escalate",
            .overrideInstruction,
            "dont|never|avoid ~2 escalate|escalating|escalation|flag|flagging|alert|alerting|report|notify|page|investigate|raise|triage|review"
        ),
        Pattern("no_escalation", .overrideInstruction, "no|without escalation|escalating|alerting ?is|are ?needed|required|necessary|warranted"),
        Pattern(
            "escalation_off",
            .overrideInstruction,
            "escalate|escalation|escalating|alerting ?is|are|to|=|set false|disabled|off|none|unnecessary|suppressed"
        ),
        Pattern(
            "requires_nothing",
            .verdictDirective,
            strong: false,
            "requires|require|needs|need|warrants no|nothing ~1 followup|action|escalation|investigation|review|response"
        ),
        Pattern(
            "escalation_not_needed",
            .overrideInstruction,
            "escalation|escalating|alerting ?is|are not|nt required|needed|necessary|warranted"
        ),
        Pattern(
            "rules_no_longer_apply",
            .overrideInstruction,
            "policy|policies|rule|rules|instructions|instruction|guidance|guardrail|guardrails|restriction|restrictions ~5 "
                + "no longer apply|applies|applicable|valid|relevant"
        ),
        Pattern("close_it", .verdictDirective, "close|dismiss|resolve|suppress it|this|everything out|off|now|immediately"),
        Pattern(
            "notice_to_automation",
            .addressedToModel,
            "notice|note|message|memo|reminder|instructions|attention|psa ~1 to|for ?the|any|all|our ?automated|ai|llm|triage|security "
                + "systems|system|bots|bot|tools|models|model|agents|agent|automation|reviewers|reviewer|processors|processor|readers|reader"
        ),
        Pattern(
            "bare_claim",
            .verdictDirective,
            strong: false,
            "this|that|it is|was|s ~1 authorized|authorised|benign|sanctioned|approved|expected|legitimate|harmless|safe"
        ),
        Pattern("your_task", .overrideInstruction, "your|the new task|job|goal|role|objective|mission|purpose ~2 is|has|now|changed|instead"),
        Pattern(
            "guidance_void",
            .overrideInstruction,
            "previous|prior|earlier|above|old|original guidance|instructions|instruction|rules|directives|prompt ~4 "
                + "outdated|obsolete|void|revoked|superseded|invalid|wrong|cancelled|canceled|replaced|deprecated"
        ),
        Pattern(
            "summary_directive",
            .verdictDirective,
            "summarising|summarizing|summarise|summarize|reporting|describing|triaging|reviewing ~4 "
                + "state|say|mention|write|report|claim|note|conclude that"
        ),
        Pattern(
            "forget_everything_foreign",
            .overrideInstruction,
            "vergiss|vergessen|oublie|oubliez|olvida|esquece|забудь alles|tout|todo|tudo|все|всё"
        ),
        Pattern(
            "mark_benign_foreign",
            .verdictDirective,
            "markiere|markieren|marque|marquez|marca|marcar|пометь|отметь ~3 "
                + "harmlos|gutartig|bénin|benin|inoffensif|benigno|inofensivo|безопасное|безопасным"
        ),
        Pattern(
            "dont_escalate_foreign",
            .overrideInstruction,
            "pas|nicht|no|não|nao|не escalader|eskalieren|escalar|escalonar|эскалируй|эскалировать"
        ),
        Pattern("data_boundary", .roleMarker, "begin|end|start ?of ?the systemprompt|untrusted|instructions"),
        Pattern(
            "stop_triage",
            .overrideInstruction,
            "stop|halt|abort|cease ~2 triage|analysis|analyzing|investigation|investigating|escalation|escalating"
        ),
        // Verdicts given as instructions.
        Pattern("mark_as_benign", .verdictDirective, "\(verdictVerbs) ~4 \(strongBenign)"),
        Pattern("mark_as", .verdictDirective, "\(verdictVerbs) ~3 as|to ?a|an|be ~1 \(weakBenign)"),
        Pattern(
            "close_alert",
            .verdictDirective,
            "close|closing|dismiss|dismissing|suppress|suppressing|resolve|ignore|autoclose|silence|mute|disregard "
                + "?this|the|these|that|all|any|it|every|each "
                + "?security alert|alerts|finding|findings|incident|incidents|ticket|detection|detections|alarm|alarms|event|events|activity"
        ),
        Pattern(
            "verdict_statement",
            .verdictDirective,
            "verdict|decision|classification|recommendation|disposition|conclusion|assessment|triage|answer ~2 close|benign|falsepositive|closed|"
                + "dismiss|noaction|safe|harmless|notmalicious|monitor|approved"
        ),
        Pattern(
            "claim_benign",
            .verdictDirective,
            "\(claimSubject) benign|expected|authorized|authorised|legitimate|safe|falsepositive|harmless|"
                + "sanctioned|whitelisted|allowlisted|notmalicious|nonmalicious|falsealarm"
        ),
        Pattern("claim_routine", .verdictDirective, strong: false, "\(claimSubject) approved|normal|routine|planned|known"),
        Pattern("is_false_positive", .verdictDirective, "is|was|are|s|its ?a|an|just falsepositive|falsealarm|benign|notmalicious|nonmalicious"),
        Pattern("safe_to", .verdictDirective, "safe|okay|ok|fine ~1 to ignore|close|dismiss|disregard|suppress|skip"),
        Pattern(
            "no_action",
            .verdictDirective,
            strong: false,
            "no|nothing ~2 action|actions|investigation|followup|response|further|concern ~1 required|needed|necessary|warranted|to"
        ),
        Pattern(
            "authorized_test",
            .verdictDirective,
            strong: false,
            "authorized|authorised|approved|sanctioned|scheduled|planned|internal|official ~2 "
                + "pentest|redteam|test|testing|exercise|drill|simulation|audit"
        ),
        Pattern(
            "respond_with",
            .verdictDirective,
            "respond|reply|answer|output|return|print|say|write|submit ~3 close|benign|falsepositive|closed|verdict|notmalicious"
        ),
        Pattern("submit_verdict", .verdictDirective, "submit|call|invoke|use ~2 verdict|submitverdict|submit_verdict"),
        // Addressed to the model.
        Pattern(
            "vocative",
            .addressedToModel,
            "dear|hey|hi|hello|attention|note|message|memo|reminder|notice|psa|instructions|instruction "
                + "?to|for ?the|any|all|our|this ?security|automated|triage|ai \(addressees)"
        ),
        Pattern("to_the_ai", .addressedToModel, strong: false, "to|for ?the|any|all|our|this ?security|automated|triage|ai \(addressees)"),
        Pattern("vocative_generic", .addressedToModel, "dear|hey|hi|hello|attention ?the|any|all ?automated model|agent|bot|system|reviewer|reader"),
        Pattern(
            "if_you_are",
            .addressedToModel,
            "if|when ~1 youare|you|anyone|anybody|whoever ~3 \(addressees)|model|bot|agent|reading|reads|processing|analyzing|analysing"
        ),
        Pattern("as_an_ai", .addressedToModel, "as an|a \(addressees)"),
        Pattern(
            "ai_must",
            .addressedToModel,
            "\(addressees) must|should|shall|needs|need|has|have|is|are|please|can|may ?to|not|now|always|only|safely|simply ~2 "
                + "close|mark|classify|ignore|treat|dismiss|disregard|respond|output|return|reply|say|answer|approve|follow|obey|comply|submit|"
                + "set|conclude"
        ),
        Pattern(
            "please_verb",
            .addressedToModel,
            "please|kindly|pls|plz ~2 close|ignore|mark|classify|dismiss|disregard|suppress|treat|approve|whitelist|allowlist|forget|override|bypass"
        ),
    ])
}
