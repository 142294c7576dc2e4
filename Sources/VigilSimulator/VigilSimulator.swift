// The local LLM API simulator (issue 6).
