/// The CloudTrail events `vigil demo` uses when the shared data set (`../shared/data`) is not beside the repository:
/// 14 events of 12 Stratus Red Team attack detonations (persistence, defense evasion, exfiltration, initial access,
/// privilege escalation).
///
/// Source: DataDog/stratus-red-team, `docs/detonation-logs`, commit 7c9a7a5a63dc370260a6528dd0d30476854806c1,
/// Apache License 2.0 (Copyright 2021-Present Datadog, Inc.; see `../shared/data/cloudtrail/stratus-red-team/LICENSE` and
/// `NOTICE`). Account ids, regions and addresses were anonymised upstream.
enum DemoSample {
    static let cloudTrailJSON = #"""
[
{
"awsRegion": "ca-isob-northsouth-1r",
"eventCategory": "Management",
"eventID": "62e290e2-ee95-4a7c-a9f8-db4ef462b12d",
"eventName": "UpdateAssumeRolePolicy",
"eventSource": "iam.amazonaws.com",
"eventTime": "2024-08-01T13:29:57Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "751203476945",
"requestID": "295ee6e3-1da9-416f-885d-ad65d876ef82",
"requestParameters": {
"policyDocument": "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"Service\": \"ec2.amazonaws.com\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    },\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::193672423079:root\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}",
"roleName": "stratus-red-team-backdoor-r-role"
},
"responseElements": null,
"sourceIPAddress": "225.178.039.250",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "iam.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_180e078f-4ad3-40c5-9ec3-efff37e17b25",
"userIdentity": {
"accessKeyId": "AKIAMUV7B57OZM0RV05D",
"accountId": "751203476945",
"arn": "arn:aws:iam::751203476945:user/christophe",
"principalId": "AIDA7SLGLLJ9LWK18E4Y",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "ap-central-2r",
"eventCategory": "Management",
"eventID": "c64c4ded-ef03-4e5c-81eb-153b118d72f2",
"eventName": "CreateAccessKey",
"eventSource": "iam.amazonaws.com",
"eventTime": "2024-07-30T21:53:13Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "946986569305",
"requestID": "1af58177-d743-4c94-ac1d-014721ed9b94",
"requestParameters": {
"userName": "stratus-red-team-backdoor-u-user"
},
"responseElements": {
"accessKey": {
"accessKeyId": "AKIAL80DWDVKKM0UXEER",
"createDate": "Jul 30, 2024 9:53:13 PM",
"status": "Active",
"userName": "stratus-red-team-backdoor-u-user"
}
},
"sourceIPAddress": "211.9.016.253",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "iam.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_f3f19dcd-8552-47ca-a01e-0e1f5578d15e",
"userIdentity": {
"accessKeyId": "AKIA30BEZSJBVKOFKZW0",
"accountId": "946986569305",
"arn": "arn:aws:iam::946986569305:user/christophe",
"principalId": "AIDAKYRO1QIPZ5M62HCS",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "ap-isob-central-3r",
"eventCategory": "Management",
"eventID": "083dc4ad-e264-46bc-a407-d0dd31b58bdc",
"eventName": "AttachUserPolicy",
"eventSource": "iam.amazonaws.com",
"eventTime": "2024-08-01T13:33:28Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "229654561268",
"requestID": "710f2703-6e8a-46d5-9924-b12a3a681755",
"requestParameters": {
"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
"userName": "malicious-iam-user"
},
"responseElements": null,
"sourceIPAddress": "075.050.255.67",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "iam.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_6bf00313-712c-4fd2-9bdd-88f48a4b1282",
"userIdentity": {
"accessKeyId": "AKIAOZUDECYXYM4ONAN4",
"accountId": "229654561268",
"arn": "arn:aws:iam::229654561268:user/christophe",
"principalId": "AIDAZ49AHUAJ9OEK73O5",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "ap-isob-central-3r",
"eventCategory": "Management",
"eventID": "94faedcc-0fa4-46e6-9322-022e8e934f04",
"eventName": "CreateAccessKey",
"eventSource": "iam.amazonaws.com",
"eventTime": "2024-08-01T13:33:28Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "229654561268",
"requestID": "0ee5fc85-66bb-4602-a69e-9a5a2a3add30",
"requestParameters": {
"userName": "malicious-iam-user"
},
"responseElements": {
"accessKey": {
"accessKeyId": "AKIAXAFZN8JEPF6L682H",
"createDate": "Aug 1, 2024 1:33:28 PM",
"status": "Active",
"userName": "malicious-iam-user"
}
},
"sourceIPAddress": "075.050.255.67",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "iam.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_6bf00313-712c-4fd2-9bdd-88f48a4b1282",
"userIdentity": {
"accessKeyId": "AKIAOZUDECYXYM4ONAN4",
"accountId": "229654561268",
"arn": "arn:aws:iam::229654561268:user/christophe",
"principalId": "AIDAZ49AHUAJ9OEK73O5",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "ap-isob-central-3r",
"eventCategory": "Management",
"eventID": "3346344c-5a3e-429e-8405-420f98f75d6e",
"eventName": "CreateUser",
"eventSource": "iam.amazonaws.com",
"eventTime": "2024-08-01T13:33:28Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "229654561268",
"requestID": "64ef9c47-6b64-4c0e-8c32-eb9ffaf8a658",
"requestParameters": {
"tags": [
{
"key": "StratusRedTeam",
"value": "true"
}
],
"userName": "malicious-iam-user"
},
"responseElements": {
"user": {
"arn": "arn:aws:iam::229654561268:user/malicious-iam-user",
"createDate": "Aug 1, 2024 1:33:28 PM",
"path": "/",
"tags": [
{
"key": "StratusRedTeam",
"value": "true"
}
],
"userId": "AIDAL1XMLVWIUOK8KAF0",
"userName": "malicious-iam-user"
}
},
"sourceIPAddress": "075.050.255.67",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "iam.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_6bf00313-712c-4fd2-9bdd-88f48a4b1282",
"userIdentity": {
"accessKeyId": "AKIAOZUDECYXYM4ONAN4",
"accountId": "229654561268",
"arn": "arn:aws:iam::229654561268:user/christophe",
"principalId": "AIDAZ49AHUAJ9OEK73O5",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "apiso-centralnorth-2r",
"eventCategory": "Management",
"eventID": "10163ed2-2253-469d-a5ee-cbc6651f8934",
"eventName": "StopLogging",
"eventSource": "cloudtrail.amazonaws.com",
"eventTime": "2024-07-31T13:06:24Z",
"eventType": "AwsApiCall",
"eventVersion": "1.10",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "143434273843",
"requestID": "14c891b6-11b5-4787-ae97-64a974977078",
"requestParameters": {
"name": "stratus-red-team-ct-stop-trail-buykxbqejv"
},
"responseElements": null,
"sourceIPAddress": "86.245.153.234",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "cloudtrail.apiso-centralnorth-2r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_c97089f1-1ae3-4ecc-b006-f5e8fd0f2571",
"userIdentity": {
"accessKeyId": "AKIAGGWFBBHBE7D3M9WI",
"accountId": "143434273843",
"arn": "arn:aws:iam::143434273843:user/christophe",
"principalId": "AIDAOC1SYDVN0AF0FMMR",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "megov-westwest-1r",
"eventCategory": "Management",
"eventID": "ee73c230-44bc-4492-8542-cfb189eae287",
"eventName": "DeleteTrail",
"eventSource": "cloudtrail.amazonaws.com",
"eventTime": "2024-07-31T12:46:41Z",
"eventType": "AwsApiCall",
"eventVersion": "1.10",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "847129010505",
"requestID": "206c2187-a29f-45bf-86a2-a87d99ff7186",
"requestParameters": {
"name": "stratus-red-team-cloudtraild-trail-kvrwohmiai"
},
"responseElements": null,
"sourceIPAddress": "08.1.250.216",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "cloudtrail.megov-westwest-1r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_a007fa03-86e2-4130-be03-ee7b7b10edcc",
"userIdentity": {
"accessKeyId": "AKIAFBJ48BV9CGRBRKGM",
"accountId": "847129010505",
"arn": "arn:aws:iam::847129010505:user/christophe",
"principalId": "AIDALE4EP1EPEPX3SDR8",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "me-central-3r",
"eventCategory": "Management",
"eventID": "6897ff63-d738-445c-9e86-43e5b1f8e12f",
"eventName": "ModifySnapshotAttribute",
"eventSource": "ec2.amazonaws.com",
"eventTime": "2024-08-01T12:28:02Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "756680937392",
"requestID": "aeddc4a7-2043-405e-8b19-5a913367249e",
"requestParameters": {
"attributeType": "CREATE_VOLUME_PERMISSION",
"createVolumePermission": {
"add": {
"items": [
{
"userId": "098797384747"
}
]
}
},
"snapshotId": "snap-041993b54a9b3af6f"
},
"responseElements": {
"_return": true,
"requestId": "aeddc4a7-2043-405e-8b19-5a913367249e"
},
"sourceIPAddress": "253.76.43.253",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "ec2.me-central-3r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_7fcd50f2-f1da-4c82-bb7d-38b82021b080",
"userIdentity": {
"accessKeyId": "AKIAYLJU0B35TFSNKCS2",
"accountId": "756680937392",
"arn": "arn:aws:iam::756680937392:user/christophe",
"principalId": "AIDA7ETKRIUXU83QKECM",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "meiso-eastwest-2r",
"eventCategory": "Management",
"eventID": "fef2bf02-bbea-4d0f-a91c-e6ccfe3fba46",
"eventName": "ModifyDBSnapshotAttribute",
"eventSource": "rds.amazonaws.com",
"eventTime": "2024-08-01T12:38:06Z",
"eventType": "AwsApiCall",
"eventVersion": "1.08",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "171471557522",
"requestID": "3fd13676-52a0-4680-8491-71a8e28ea7f5",
"requestParameters": {
"attributeName": "restore",
"dBSnapshotIdentifier": "exfiltration",
"valuesToAdd": [
"503161813013"
]
},
"responseElements": {
"dBSnapshotAttributes": [
{
"attributeName": "restore",
"attributeValues": [
"503161813013"
]
}
],
"dBSnapshotIdentifier": "exfiltration"
},
"sourceIPAddress": "204.10.215.184",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "rds.meiso-eastwest-2r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_5ca5319a-2127-4f13-a878-495bc59244b3",
"userIdentity": {
"accessKeyId": "AKIAIYTVC64GTXUFCS2X",
"accountId": "171471557522",
"arn": "arn:aws:iam::171471557522:user/christophe",
"principalId": "AIDA3MGXB5NR71XRJU40",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"additionalEventData": {
"LoginTo": "https://console.aws.amazon.com/console/home",
"MFAUsed": "No",
"MobileVersion": "No"
},
"awsRegion": "eu-west-2r",
"eventCategory": "Management",
"eventID": "865d9377-9c6b-4fd7-8aad-725e95f6a140",
"eventName": "ConsoleLogin",
"eventSource": "signin.amazonaws.com",
"eventTime": "2024-08-02T08:53:24Z",
"eventType": "AwsConsoleSignIn",
"eventVersion": "1.08",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "562283505220",
"requestParameters": null,
"responseElements": {
"ConsoleLogin": "Success"
},
"sourceIPAddress": "225.01.00.16",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "signin.aws.amazon.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_fccf7123-0651-41f5-b06c-460da5ee1c94",
"userIdentity": {
"accountId": "562283505220",
"arn": "arn:aws:iam::562283505220:user/stratus-red-team-nmfalu-jfzdtsvchl",
"principalId": "AIDA1ERT0661IN5R239V",
"type": "IAMUser",
"userName": "stratus-red-team-nmfalu-jfzdtsvchl"
}
},
{
"awsRegion": "megov-southcentral-3r",
"eventCategory": "Management",
"eventID": "a46a1a42-9ef1-48d4-9c61-507eb6d4019f",
"eventName": "UpdateLoginProfile",
"eventSource": "iam.amazonaws.com",
"eventTime": "2024-08-28T09:54:40Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "763751499319",
"requestID": "bd8967e5-b80d-48cd-b8b5-45c9905a4a7f",
"requestParameters": {
"userName": "stratus-red-team-update-login-profile-user"
},
"responseElements": null,
"sourceIPAddress": "212.3.253.233",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "iam.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_33d1bcd6-0716-4e7f-a145-8a75625cf180",
"userIdentity": {
"accessKeyId": "AKIAV1MIS7NGMDMR83FC",
"accountId": "763751499319",
"arn": "arn:aws:iam::763751499319:user/christophe",
"principalId": "AIDAXYBG3LDVX65FGD9O",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "megov-south-1r",
"eventCategory": "Management",
"eventID": "ded2f5af-f3a5-46d2-a170-a23206a32c36",
"eventName": "DeleteFlowLogs",
"eventSource": "ec2.amazonaws.com",
"eventTime": "2024-07-31T15:07:49Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "498376118699",
"requestID": "96d51d7f-c18d-45b9-8315-9aa0fde21e88",
"requestParameters": {
"DeleteFlowLogsRequest": {
"FlowLogId": {
"content": "fl-0e17aa62a21d4bbfe",
"tag": 1
}
}
},
"responseElements": {
"DeleteFlowLogsResponse": {
"requestId": "96d51d7f-c18d-45b9-8315-9aa0fde21e88",
"unsuccessful": "",
"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/"
}
},
"sourceIPAddress": "206.90.1.223",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "ec2.megov-south-1r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_5d25952b-37cb-46cc-a135-3407cbbca7bf",
"userIdentity": {
"accessKeyId": "AKIA5Q8Z0GHOBYSEN9D6",
"accountId": "498376118699",
"arn": "arn:aws:iam::498376118699:user/christophe",
"principalId": "AIDACKW2I5F25HSI3O4J",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "ca-centralnorth-1r",
"eventCategory": "Management",
"eventID": "b67a9bba-d9da-4980-bf74-baed881b117d",
"eventName": "AddPermission20150331v2",
"eventSource": "lambda.amazonaws.com",
"eventTime": "2024-08-01T13:47:16Z",
"eventType": "AwsApiCall",
"eventVersion": "1.08",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "880896431042",
"requestID": "c84f1436-60be-4ad8-a6f7-f3c44d47df3a",
"requestParameters": {
"action": "lambda:InvokeFunction",
"functionName": "stratus-red-team-backdoor-f-func",
"principal": "*",
"statementId": "backdoor"
},
"responseElements": {
"statement": "{\"Sid\":\"backdoor\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:ca-centralnorth-1r:880896431042:function:stratus-red-team-backdoor-f-func\"}"
},
"sourceIPAddress": "151.236.251.251",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "lambda.ca-centralnorth-1r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_a5b48423-fe4e-446d-a058-0f2b624cdfb1",
"userIdentity": {
"accessKeyId": "AKIAYALJGCQ7J893JO5I",
"accountId": "880896431042",
"arn": "arn:aws:iam::880896431042:user/christophe",
"principalId": "AIDAC4Q0BJF2SN7BSHFO",
"type": "IAMUser",
"userName": "christophe"
}
},
{
"awsRegion": "me-south-1r",
"eventCategory": "Management",
"eventID": "1f00bcfa-e050-4c2e-b99b-768ebe3a3dd3",
"eventName": "ModifyImageAttribute",
"eventSource": "ec2.amazonaws.com",
"eventTime": "2024-08-01T12:25:57Z",
"eventType": "AwsApiCall",
"eventVersion": "1.09",
"managementEvent": true,
"readOnly": false,
"recipientAccountId": "118238665043",
"requestID": "dd81ae39-a261-4e85-87a4-01fe22abc602",
"requestParameters": {
"attributeType": "launchPermission",
"imageId": "ami-de1fbCab6ccB03e6D",
"launchPermission": {
"add": {
"items": [
{
"userId": "846424999548"
}
]
}
}
},
"responseElements": {
"_return": true,
"requestId": "dd81ae39-a261-4e85-87a4-01fe22abc602"
},
"sourceIPAddress": "253.19.58.252",
"tlsDetails": {
"cipherSuite": "TLS_AES_128_GCM_SHA256",
"clientProvidedHostHeader": "ec2.me-south-1r.amazonaws.com",
"tlsVersion": "TLSv1.3"
},
"userAgent": "stratus-red-team_a532baf6-7731-4c0f-b089-48508276f787",
"userIdentity": {
"accessKeyId": "AKIA40XZ2OQU8R4QKTAC",
"accountId": "118238665043",
"arn": "arn:aws:iam::118238665043:user/christophe",
"principalId": "AIDAYO61EC4B4W5G6BXN",
"type": "IAMUser",
"userName": "christophe"
}
}
]
"""#
}
