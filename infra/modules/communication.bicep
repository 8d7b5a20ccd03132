import { allLogsAndMetrics, diagnosticSettingName } from 'diagnostics.bicep'

metadata description = 'Azure Communication Services with an Email Communication Service and one sending domain (Azure-managed by default, or a custom domain), linked.'

@description('Required. Name of the Communication Services resource.')
param communicationServiceName string

@description('Required. Name of the Email Communication Service resource.')
param emailServiceName string

@description('Optional. Tags applied to the resources.')
param tags object = {}

@description('Optional. Where Communication Services stores data at rest.')
param dataLocation string = 'United States'

@description('Optional. A custom sending domain (e.g. mail.example.com). Empty: an Azure-managed domain (*.azurecomm.net), ready to send at once. A custom domain needs its DNS records verified before mail is accepted.')
param customDomainName string = ''

@description('Optional. Local part of the sender address (the part before @).')
param senderUsername string = 'DoNotReply'

@description('Required. Resource ID of the Log Analytics workspace the diagnostic settings send to.')
param logAnalyticsWorkspaceId string

var useCustomDomain = !empty(customDomainName)

// Both services are global resources; the location is the literal the resource provider requires.
resource emailService 'Microsoft.Communication/emailServices@2026-03-18' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2026-03-18' = {
  parent: emailService
  name: useCustomDomain ? customDomainName : 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: useCustomDomain ? 'CustomerManaged' : 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource senderUser 'Microsoft.Communication/emailServices/domains/senderUsernames@2026-03-18' = if (useCustomDomain) {
  parent: domain
  name: senderUsername
  properties: {
    username: senderUsername
    displayName: 'Customer Success'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2026-03-18' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      domain.id
    ]
    // Access keys cannot be used: the app sends with its managed identity (no Email__AccessKey in Azure).
    disableLocalAuth: true
  }
}

// Email send, delivery status and engagement logs are categories of the Communication Services resource; the Email
// Communication Service has no diagnostic settings of its own.
#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource communicationServiceDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: communicationService
  properties: allLogsAndMetrics(logAnalyticsWorkspaceId)
}

@description('Resource ID of the Communication Services resource, the scope of the email-send role assignment.')
output resourceId string = communicationService.id

@description('Name of the Communication Services resource.')
output name string = communicationService.name

@description('Endpoint of the Communication Services resource, for Email__Endpoint.')
output endpoint string = 'https://${communicationService.properties.hostName}'

@description('Sender address mail goes out from, for Email__SenderAddress. An Azure-managed domain only sends as DoNotReply.')
output senderAddress string = '${useCustomDomain ? senderUsername : 'DoNotReply'}@${domain.properties.mailFromSenderDomain}'

@description('DNS records to create at the custom domain\'s DNS host before it can send (empty for an Azure-managed domain).')
output domainVerificationRecords object = useCustomDomain ? domain.properties.verificationRecords : {}
