metadata description = 'The one user-assigned managed identity the function app uses for every data-plane call.'

@description('Required. Name of the user-assigned managed identity.')
param name string

@description('Required. Azure region of the identity.')
param location string

@description('Optional. Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID of the identity, for the function app and Key Vault reference resolution.')
output resourceId string = identity.id

@description('Client ID of the identity, for AzureWebJobsStorage__clientId, ServiceBusConnection__clientId and AZURE_CLIENT_ID.')
output clientId string = identity.properties.clientId

@description('Principal (object) ID of the identity, for role assignments.')
output principalId string = identity.properties.principalId

@description('Name of the identity.')
output name string = identity.name
