/// Vigil's built-in Sigma rules, shipped in the binary as YAML text.
///
/// Detections that need a per-principal or per-host baseline are Swift detectors instead (``BuiltinDetectors``).
public enum BuiltinRules {
    /// The built-in rules as sources named `builtin:<file>`.
    public static var sources: [RuleSource] {
        [
            RuleSource(name: "builtin:vigil_cloudtrail_tampering.yml", text: cloudTrailTampering),
            RuleSource(name: "builtin:vigil_secrets_manager_read.yml", text: secretsManagerRead),
            RuleSource(name: "builtin:vigil_ssm_parameter_read.yml", text: parameterStoreRead),
        ]
    }

    static let cloudTrailTampering = """
        title: CloudTrail Logging Stopped, Deleted Or Reconfigured
        id: vigil-builtin-cloudtrail-tampering
        status: stable
        description: A trail or event data store was stopped, deleted or had what it records changed.
        author: Vigil
        date: 2026-11-26
        tags:
            - attack.defense-evasion
            - attack.t1562.008
        logsource:
            product: aws
            service: cloudtrail
        detection:
            selection:
                eventSource: cloudtrail.amazonaws.com
                eventName:
                    - StopLogging
                    - DeleteTrail
                    - UpdateTrail
                    - PutEventSelectors
                    - PutInsightSelectors
                    - DeleteEventDataStore
                    - StopEventDataStoreIngestion
                    - UpdateEventDataStore
            condition: selection
        falsepositives:
            - Planned changes to logging by the team that owns it
        level: high
        """

    static let secretsManagerRead = """
        title: Secrets Manager Secret Value Read
        id: vigil-builtin-secrets-manager-read
        status: stable
        description: A secret's value was read from AWS Secrets Manager.
        author: Vigil
        date: 2026-11-26
        tags:
            - attack.credential-access
            - attack.t1555.006
        logsource:
            product: aws
            service: cloudtrail
        detection:
            selection:
                eventSource: secretsmanager.amazonaws.com
                eventName:
                    - GetSecretValue
                    - BatchGetSecretValue
            condition: selection
        falsepositives:
            - Applications reading their own secrets
        level: medium
        """

    static let parameterStoreRead = """
        title: SSM Parameter Store Parameters Read
        id: vigil-builtin-ssm-parameter-read
        status: stable
        description: Parameters were read from AWS Systems Manager Parameter Store, which often holds secrets.
        author: Vigil
        date: 2026-11-26
        tags:
            - attack.credential-access
            - attack.t1555.006
        logsource:
            product: aws
            service: cloudtrail
        detection:
            selection:
                eventSource: ssm.amazonaws.com
                eventName:
                    - GetParameter
                    - GetParameters
                    - GetParametersByPath
                    - GetParameterHistory
            condition: selection
        falsepositives:
            - Applications and deployment tools reading their configuration
        level: medium
        """
}
