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

var useCustomDomain = !empty(customDomainName)

// Both services are global resources; the location is the literal the resource provider requires.
resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: useCustomDomain ? customDomainName : 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: useCustomDomain ? 'CustomerManaged' : 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource senderUser 'Microsoft.Communication/emailServices/domains/senderUsernames@2023-04-01' = if (useCustomDomain) {
  parent: domain
  name: senderUsername
  properties: {
    username: senderUsername
    displayName: 'Customer Success'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      domain.id
    ]
  }
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
