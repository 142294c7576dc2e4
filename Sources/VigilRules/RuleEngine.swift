// The Sigma rule engine lives here (issue 4).
