extension HygieneSession {
    /// Object keys of CloudTrail and GuardDuty records (the most frequent in the shared test data), which clean to
    /// themselves: no invisible characters, no secret, no instruction-like content. `HygieneSessionTests` proves it
    /// for every entry, so the session may skip cleaning them. The value of each entry says whether the key names
    /// a secret-bearing field.
    static let knownKeys: [String: Bool] = {
        let keys: [String] = [
            "accountId", "type", "arn", "principalId", "eventName", "eventSource", "awsRegion", "userIdentity", "eventType",
            "recipientAccountId", "sourceIPAddress", "eventTime", "userAgent", "eventVersion", "eventID", "requestParameters", "userName",
            "requestID", "accessKeyId", "responseElements", "readOnly", "managementEvent", "eventCategory", "tlsDetails", "cipherSuite",
            "clientProvidedHostHeader", "tlsVersion", "items", "sessionContext", "attributes", "creationDate", "mfaAuthenticated",
            "sessionIssuer", "ARN", "webIdFederationData", "resources", "name", "filterSet", "value", "key", "errorCode", "invokedBy",
            "errorMessage", "additionalEventData", "sessionCredentialFromConsole", "SignatureVersion", "CipherSuite", "AuthenticationMethod",
            "Host", "bytesTransferredIn", "x-amz-id-2", "bytesTransferredOut", "values", "bucketName", "valueSet", "encryptionContext",
            "encryptionAlgorithm", "instanceId", "vpcId", "roleName", "secretId", "requestId", "routeTableIdSet", "PARAMETER_ARN",
            "vpcEndpointId", "tags", "filters", "resourceType", "routeTableId", "_return", "subnetId", "tag", "withDecryption",
            "dBInstanceIdentifier", "status", "instancesSet", "resourceId", "content", "tier", "shared", "engine", "state", "parameterFilters",
            "option", "SecretARN", "SecretVersionId", "maxResults", "keyId", "vpcSet", "tagSet", "engineVersion", "ownerId", "roleArn",
            "Records", "tagSpecificationSet", "cidrBlock", "groupId", "DescribeNatGatewaysRequest", "vpc", "path", "from", "p_log_type",
            "credentials", "expiration", "sessionToken", "version", "roleSessionName", "NatGatewayId", "filter", "startTimes",
            "eventStatusCodes", "aggregateField", "imageId", "Name", "acl", "versionId", "dBSnapshotIdentifier", "functionName", "overwrite",
            "allowedPattern", "description", "availabilityZone", "sharedEventID", "clientRequestToken", "assumedRoleUser", "assumedRoleId",
            "attribute", "enabled", "subnetSet", "accountAttributeNameSet", "durationSeconds", "policyArn", "internetGatewayId", "p_event_time",
            "createDate", "p_parse_time", "item", "associationId", "p_row_id", "code", "groupSet", "p_any_aws_account_ids", "p_any_aws_arns",
            "p_source_label", "p_source_id", "policy", "privateIpAddress", "securityGroupSet", "securityGroupIdSet", "marker", "clientToken",
            "networkInterfaceId", "ownersSet", "assumeRolePolicyDocument", "policyName", "subnetIdentifier", "subnetAvailabilityZone",
            "subnetStatus", "blockDeviceMapping", "networkAclIdSet", "ConsoleLogin", "role", "availabilityZoneSet", "availabilityZoneIdSet",
            "ec2RoleDelivery", "snapshotId", "instanceProfileName", "allocatedStorage", "p_any_trace_ids", "xmlns", "instanceType",
            "monitoring", "destinationCidrBlock", "internetGatewayIdSet", "MFAUsed", "MobileVersion", "hostnameType",
            "enableResourceNameDnsARecord", "enableResourceNameDnsAAAARecord", "MaxResults", "logging", "allocationId", "instanceTenancy",
            "volumeId", "defaultOnly", "forceOverwriteReplicaSecret", "keySpec", "executableBySet", "imagesSet", "publicIpsSet",
            "allocationIdsSet", "DescribeVpcClassicLinkDnsSupportRequest", "VpcIds", "deleteOnTermination", "privateDnsName", "tagging",
        ]
        return Dictionary(keys.map { ($0, SecretRedactor.isSecretFieldName($0)) }, uniquingKeysWith: { first, _ in first })
    }()
}
