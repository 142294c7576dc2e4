extension GuardrailPolicy {
    /// CloudTrail event names that are guardrail signals, with the event source they must come from (nil: any).
    ///
    /// When an event carries no `eventSource`, the name alone counts (the conservative reading).
    static let eventSignals: [String: [(GuardrailClass, String?)]] = {
        var table: [String: [(GuardrailClass, String?)]] = [:]
        func add(_ names: [String], _ guardrail: GuardrailClass, source: String?) {
            for name in names { table[name, default: []].append((guardrail, source)) }
        }
        let iam = "iam.amazonaws.com"
        add(
            [
                "CreateRole", "AttachRolePolicy", "CreateUser", "CreateAccessKey", "UpdateAssumeRolePolicy", "PutRolePolicy", "AddUserToGroup",
                "AttachUserPolicy", "PutUserPolicy", "AttachGroupPolicy", "PutGroupPolicy", "CreateLoginProfile", "UpdateLoginProfile",
                "CreatePolicyVersion", "SetDefaultPolicyVersion", "CreateSAMLProvider", "UpdateSAMLProvider", "CreateOpenIDConnectProvider",
                "AddRoleToInstanceProfile", "CreateServiceSpecificCredential", "UploadSSHPublicKey", "UploadSigningCertificate",
            ],
            .persistence,
            source: iam
        )
        add(["ModifyInstanceAttribute", "ImportKeyPair", "CreateKeyPair"], .persistence, source: "ec2.amazonaws.com")
        add(["PutRule", "PutTargets"], .persistence, source: "events.amazonaws.com")
        add(["CreateSchedule"], .persistence, source: "scheduler.amazonaws.com")
        add(["CreateAssociation"], .persistence, source: "ssm.amazonaws.com")
        add(
            [
                "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "DeactivateMFADevice", "DeleteVirtualMFADevice",
                "DeleteAccountPasswordPolicy",
            ],
            .credentialCompromise,
            source: iam
        )
        add(["GetFederationToken"], .credentialCompromise, source: "sts.amazonaws.com")
        add(["GetPasswordData"], .credentialCompromise, source: "ec2.amazonaws.com")
        add(["PasswordRecoveryRequested", "PasswordRecoveryCompleted"], .credentialCompromise, source: "signin.amazonaws.com")
        // Defence evasion (logging and detection turned off) is read as a compromised principal covering its tracks.
        add(["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"], .credentialCompromise, source: "cloudtrail.amazonaws.com")
        add(["DeleteFlowLogs"], .credentialCompromise, source: "ec2.amazonaws.com")
        add(
            ["DeleteDetector", "DisassociateFromMasterAccount", "DisassociateFromAdministratorAccount", "DeletePublishingDestination"],
            .credentialCompromise,
            source: "guardduty.amazonaws.com"
        )
        add(
            ["StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"],
            .credentialCompromise,
            source: "config.amazonaws.com"
        )
        add(["DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"], .credentialCompromise, source: "route53resolver.amazonaws.com")
        add(["LeaveOrganization"], .credentialCompromise, source: "organizations.amazonaws.com")
        add(["CreateTrustAnchor", "CreateProfile", "UpdateTrustAnchor"], .persistence, source: "rolesanywhere.amazonaws.com")
        add(["SendCommand", "StartSession"], .lateralMovement, source: "ssm.amazonaws.com")
        add(["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"], .lateralMovement, source: "ec2-instance-connect.amazonaws.com")
        add(["ModifySnapshotAttribute", "ModifyImageAttribute"], .exfiltration, source: "ec2.amazonaws.com")
        add(["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute", "StartExportTask"], .exfiltration, source: "rds.amazonaws.com")
        add(
            ["PutBucketPolicy", "PutBucketAcl", "DeleteBucketPublicAccessBlock", "DeletePublicAccessBlock", "PutBucketReplication"],
            .exfiltration,
            source: "s3.amazonaws.com"
        )
        add(["CreateExportTask"], .exfiltration, source: "logs.amazonaws.com")
        add(["CreateResourceShare"], .exfiltration, source: "ram.amazonaws.com")
        add(
            [
                "GetSecretValue", "BatchGetSecretValue", "PutSecretValue", "CreateSecret", "DeleteSecret", "UpdateSecret", "PutResourcePolicy",
                "RestoreSecret", "RotateSecret",
            ],
            .secretsStore,
            source: "secretsmanager.amazonaws.com"
        )
        return table
    }()

    /// Lambda event names carry API-version suffixes (`CreateFunction20150331`): matched by prefix.
    static let prefixSignals: [(String, GuardrailClass, String)] = [
        ("CreateFunction", .persistence, "lambda.amazonaws.com"),
        ("AddPermission", .persistence, "lambda.amazonaws.com"),
        ("UpdateFunctionCode", .persistence, "lambda.amazonaws.com"),
        ("CreateEventSourceMapping", .persistence, "lambda.amazonaws.com"),
        ("UpdateFunctionConfiguration", .persistence, "lambda.amazonaws.com"),
        ("PublishLayerVersion", .persistence, "lambda.amazonaws.com"),
    ]

    /// ATT&CK tactic tags (Sigma writes `attack.lateral_movement`; some producers `attack.lateral-movement`).
    static let tacticTags: [String: GuardrailClass] = [
        "attack.persistence": .persistence,
        "attack.lateral_movement": .lateralMovement, "attack.lateral-movement": .lateralMovement,
        "attack.exfiltration": .exfiltration,
        "attack.credential_access": .credentialCompromise, "attack.credential-access": .credentialCompromise,
        "attack.privilege_escalation": .credentialCompromise, "attack.privilege-escalation": .credentialCompromise,
        "attack.initial_access": .credentialCompromise, "attack.initial-access": .credentialCompromise,
    ]

    /// ATT&CK technique ids (`attack.t1098`, sub-techniques included: `attack.t1098.001`).
    static let techniqueTags: [String: GuardrailClass] = [
        "t1098": .persistence, "t1136": .persistence, "t1053": .persistence, "t1543": .persistence, "t1546": .persistence,
        "t1547": .persistence, "t1556": .persistence, "t1525": .persistence,
        "t1078": .credentialCompromise, "t1552": .credentialCompromise, "t1528": .credentialCompromise, "t1555": .credentialCompromise,
        "t1110": .credentialCompromise, "t1539": .credentialCompromise, "t1562": .credentialCompromise, "t1606": .credentialCompromise,
        "t1021": .lateralMovement, "t1550": .lateralMovement, "t1563": .lateralMovement, "t1570": .lateralMovement,
        "t1537": .exfiltration, "t1530": .exfiltration, "t1567": .exfiltration, "t1048": .exfiltration, "t1041": .exfiltration,
    ]

    /// GuardDuty finding-type threat purposes (`CredentialAccess:IAMUser/AnomalousBehavior`).
    static let findingPurposes: [String: [GuardrailClass]] = [
        "persistence": [.persistence], "backdoor": [.persistence],
        "credentialaccess": [.credentialCompromise], "unauthorizedaccess": [.credentialCompromise],
        "privilegeescalation": [.credentialCompromise], "initialaccess": [.credentialCompromise],
        "stealth": [.credentialCompromise], "defenseevasion": [.credentialCompromise],
        "exfiltration": [.exfiltration], "lateralmovement": [.lateralMovement],
    ]
}
