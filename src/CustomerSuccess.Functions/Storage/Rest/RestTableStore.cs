using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// <see cref="ITableStore"/> over the Table service REST API on an Azure.Core pipeline: Shared Key for connection
/// strings (Azurite, key-based accounts), a bearer token for identity-based settings. Outcomes callers branch on
/// (409, 412, 404) come back as values; anything else is an exception the caller can map to a response.
/// </summary>
public sealed class RestTableStore : ITableStore
{
    private const string ApiVersion = "2019-02-02";
    private const string JsonAccept = "application/json;odata=minimalmetadata";
    private const string StorageScope = "https://storage.azure.com/.default";
    private static readonly RequestMethod Merge = new("MERGE");

    private readonly HttpPipeline _pipeline;
    private readonly ILogger _logger;
    private readonly string _scheme;
    private readonly string _host;
    private readonly int _port;
    private readonly string _basePath;
    private readonly string _endpoint;

    public RestTableStore(TableStorageOptions settings, TimeProvider time, ILogger<RestTableStore> logger, RestTableClientOptions? options = null, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        if (!TableConnection.TryCreate(settings, out var connection, out var error))
        {
            throw new InvalidOperationException(error);
        }

        _logger = logger;
        var endpoint = connection!.Endpoint;
        _scheme = endpoint.Scheme;
        _host = endpoint.Host;
        _port = endpoint.Port;
        _basePath = endpoint.AbsolutePath.TrimEnd('/');
        _endpoint = endpoint.AbsoluteUri.TrimEnd('/');

        options ??= new RestTableClientOptions();
        options.Transport = RestTableClientOptions.CreateTransport(endpoint, options.MaxConnections);
        HttpPipelinePolicy auth;
        if (connection.UsesSharedKey)
        {
            auth = new TableSharedKeyPolicy(connection.AccountName!, connection.AccountKey!, time);
        }
        else
        {
            credential ??= connection.CredentialKind == TableCredentialKind.ManagedIdentity
                ? new ManagedIdentityCredential(connection.ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(connection.ClientId))
                : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = connection.ClientId });
            auth = new BearerTokenAuthenticationPolicy(credential, StorageScope);
        }

        _pipeline = HttpPipelineBuilder.Build(options, [], [auth], new TableResponseClassifier());
        var kind = connection.CredentialKind == TableCredentialKind.SharedKey ? "SharedKey" : "token";
        TableStorageLog.ClientCreated(_logger, _endpoint, kind);
    }

    public async Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken = default)
    {
        TableKeys.ValidateTableName(table);
        using var body = new PooledBufferWriter(128);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("TableName", table);
            writer.WriteEndObject();
        }

        using var message = CreateMessage(RequestMethod.Post, "Tables", null);
        SetJsonBody(message, body);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        var response = await SendAsync(message, "create table", cancellationToken);
        switch (response.Status)
        {
            case 201 or 204:
                TableStorageLog.TableCreated(_logger, table);
                return;
            case 409 when ErrorCode(response) is "TableAlreadyExists" or null:
                return;
            default:
                throw Refused(response, "create table", table);
        }
    }

    public async Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default)
    {
        TableKeys.ValidateTableName(table);
        TableKeys.ValidateKey(partitionKey, nameof(partitionKey));
        TableKeys.ValidateKey(rowKey, nameof(rowKey));
        var query = columns is { Count: > 0 } ? "?$select=" + Uri.EscapeDataString(string.Join(',', columns)) : null;
        using var message = CreateMessage(RequestMethod.Get, RestTableKeys.EntityPath(table, partitionKey, rowKey), query);
        var response = await SendAsync(message, "get", cancellationToken);
        switch (response.Status)
        {
            case 200:
                using (var document = JsonDocument.Parse(response.Content.ToMemory()))
                {
                    var entity = TableEntityJson.Read(document.RootElement, partitionKey, rowKey);
                    entity.ETag ??= HeaderValue(response, "ETag");
                    return entity;
                }

            case 404:
                return null;
            default:
                throw Refused(response, "get", table);
        }
    }

    public async IAsyncEnumerable<TableEntity> QueryAsync(string table, string? filter = null, IReadOnlyList<string>? columns = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        TableContinuation? continuation = null;
        do
        {
            var page = await QueryPageAsync(table, filter, columns, pageSize, continuation, cancellationToken);
            foreach (var entity in page.Entities)
            {
                yield return entity;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    public async Task<TablePage> QueryPageAsync(string table, string? filter, IReadOnlyList<string>? columns, int? pageSize, TableContinuation? continuation, CancellationToken cancellationToken = default)
    {
        TableKeys.ValidateTableName(table);
        if (pageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "A page holds 1 to 1000 entities.");
        }

        var query = new StringBuilder();
        AppendQuery(query, "$filter", filter);
        if (columns is { Count: > 0 })
        {
            // Keys are always selected: an entity without them cannot be written back or addressed.
            AppendQuery(query, "$select", "PartitionKey,RowKey" + string.Concat(columns.Where(c => c is not ("PartitionKey" or "RowKey")).Select(c => "," + c)));
        }

        AppendQuery(query, "$top", pageSize?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendQuery(query, "NextPartitionKey", continuation?.NextPartitionKey);
        AppendQuery(query, "NextRowKey", continuation?.NextRowKey);

        using var message = CreateMessage(RequestMethod.Get, table + "()", query.Length == 0 ? null : query.ToString());
        var response = await SendAsync(message, "query", cancellationToken);
        if (response.Status != 200)
        {
            throw Refused(response, "query", table);
        }

        List<TableEntity> entities;
        using (var document = JsonDocument.Parse(response.Content.ToMemory()))
        {
            var value = document.RootElement.GetProperty("value");
            entities = new List<TableEntity>(value.GetArrayLength());
            foreach (var element in value.EnumerateArray())
            {
                entities.Add(TableEntityJson.Read(element));
            }
        }

        var nextPartition = HeaderValue(response, "x-ms-continuation-NextPartitionKey");
        var nextRow = HeaderValue(response, "x-ms-continuation-NextRowKey");
        var next = nextPartition is null && nextRow is null ? null : new TableContinuation(nextPartition, nextRow);
        return new TablePage(entities, next);
    }

    public async Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default)
    {
        TableKeys.ValidateTableName(table);
        RestTableKeys.ValidateEntityKeys(entity);
        using var body = SerializeEntity(entity);
        using var message = CreateMessage(RequestMethod.Post, table, null);
        SetJsonBody(message, body);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        var response = await SendAsync(message, "insert", cancellationToken);
        return response.Status switch
        {
            201 or 204 => new TableWriteResult(TableWriteStatus.Success, HeaderValue(response, "ETag")),
            409 when ErrorCode(response) is "EntityAlreadyExists" or null => new TableWriteResult(TableWriteStatus.AlreadyExists, null),
            _ => throw Refused(response, "insert", table),
        };
    }

    public Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        WriteAsync(table, entity, mode, ifMatch: null, "upsert", cancellationToken);

    public Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        return WriteAsync(table, entity, mode, ifMatch, "update", cancellationToken);
    }

    public async Task<TableWriteResult> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default)
    {
        TableKeys.ValidateTableName(table);
        TableKeys.ValidateKey(partitionKey, nameof(partitionKey));
        TableKeys.ValidateKey(rowKey, nameof(rowKey));
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        using var message = CreateMessage(RequestMethod.Delete, RestTableKeys.EntityPath(table, partitionKey, rowKey), null);
        message.Request.Headers.SetValue("If-Match", ifMatch);
        var response = await SendAsync(message, "delete", cancellationToken);
        return ConditionalResult(response, "delete", table);
    }

    public async Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        TableKeys.ValidateTableName(table);
        TableBatch.Validate(actions);
        var batchBoundary = "batch_" + Guid.NewGuid().ToString("N");
        using var body = TableBatch.WriteRequest(_endpoint, table, actions, batchBoundary, "changeset_" + Guid.NewGuid().ToString("N"));
        using var message = CreateMessage(RequestMethod.Post, "$batch", null);
        message.Request.Headers.SetValue("Content-Type", "multipart/mixed; boundary=" + batchBoundary);
        message.Request.Content = RequestContent.Create(body.WrittenMemory);
        var response = await SendAsync(message, "transaction", cancellationToken);
        if (response.Status != 202)
        {
            throw Refused(response, "transaction", table);
        }

        var result = TableBatch.ParseResponse(response.Content.ToMemory().Span, actions.Count);
        if (!result.Succeeded)
        {
            TableStorageLog.RequestRefused(_logger, "transaction", table, result.FailedStatus ?? 0, result.ErrorCode);
        }

        return result;
    }

    private async Task<TableWriteResult> WriteAsync(string table, TableEntity entity, TableUpdateMode mode, string? ifMatch, string operation, CancellationToken cancellationToken)
    {
        TableKeys.ValidateTableName(table);
        RestTableKeys.ValidateEntityKeys(entity);
        using var body = SerializeEntity(entity);
        using var message = CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, RestTableKeys.EntityPath(table, entity.PartitionKey, entity.RowKey), null);
        SetJsonBody(message, body);
        if (ifMatch is not null)
        {
            message.Request.Headers.SetValue("If-Match", ifMatch);
        }

        var response = await SendAsync(message, operation, cancellationToken);
        return ConditionalResult(response, operation, table);
    }

    private TableWriteResult ConditionalResult(Response response, string operation, string table) => response.Status switch
    {
        200 or 201 or 204 => new TableWriteResult(TableWriteStatus.Success, HeaderValue(response, "ETag")),
        404 when ErrorCode(response) is not "TableNotFound" => new TableWriteResult(TableWriteStatus.NotFound, null),
        412 => new TableWriteResult(TableWriteStatus.PreconditionFailed, null),
        _ => throw Refused(response, operation, table),
    };

    private static PooledBufferWriter SerializeEntity(TableEntity entity)
    {
        var body = new PooledBufferWriter(512);
        try
        {
            using var writer = new Utf8JsonWriter(body);
            TableEntityJson.Write(writer, entity);
        }
        catch
        {
            body.Dispose();
            throw;
        }

        return body;
    }

    private static void SetJsonBody(HttpMessage message, PooledBufferWriter body)
    {
        message.Request.Headers.SetValue("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(body.WrittenMemory);
    }

    private HttpMessage CreateMessage(RequestMethod method, string relativePath, string? query)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Scheme = _scheme;
        request.Uri.Host = _host;
        request.Uri.Port = _port;
        request.Uri.Path = _basePath + "/" + relativePath;
        if (query is not null)
        {
            request.Uri.Query = query;
        }

        request.Headers.SetValue("x-ms-version", ApiVersion);
        request.Headers.SetValue("DataServiceVersion", "3.0");
        request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        request.Headers.SetValue("Accept", JsonAccept);
        return message;
    }

    private async ValueTask<Response> SendAsync(HttpMessage message, string operation, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.SendAsync(message, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or OperationCanceledException or HttpRequestException or IOException)
        {
            // Network failure or per-try timeout that survived every retry.
            TableStorageLog.StorageUnavailable(_logger, _host, operation, ex);
            throw new TableStorageUnavailableException($"Table storage at {_host}:{_port} could not be reached ({operation}): {ex.Message}", ex);
        }

        var response = message.Response;
        if (response.Status is 408 or 429 or >= 500)
        {
            var code = ErrorCode(response);
            var exception = new TableStorageUnavailableException($"Table storage at {_host}:{_port} answered {response.Status} {code} to {operation} after retries.");
            TableStorageLog.StorageUnavailable(_logger, _host, operation, exception);
            throw exception;
        }

        return response;
    }

    private TableRequestFailedException Refused(Response response, string operation, string table)
    {
        var (code, text) = ReadError(response);
        TableStorageLog.RequestRefused(_logger, operation, table, response.Status, code);
        return new TableRequestFailedException(response.Status, code, $"Table storage refused {operation} on '{table}': {response.Status} {code}: {text}");
    }

    private static string? ErrorCode(Response response) => ReadError(response).Code;

    /// <summary>The service's error code and the first line of its message (later lines carry request ids and, for auth failures, the signature).</summary>
    internal static (string? Code, string Message) ReadError(Response response)
    {
        var code = HeaderValue(response, "x-ms-error-code");
        var text = response.ReasonPhrase;
        var content = response.Content?.ToMemory() ?? default;
        if (!content.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(content);
                if (document.RootElement.TryGetProperty("odata.error", out var error))
                {
                    if (error.TryGetProperty("code", out var c))
                    {
                        code ??= c.GetString();
                    }

                    if (error.TryGetProperty("message", out var m))
                    {
                        text = (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.GetString()) ?? text;
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON (a proxy's HTML page, say): the status and reason phrase will do.
            }
        }

        return (code, SafeMessage(code, text));
    }

    internal static string SafeMessage(string? code, string? text)
    {
        if (code is "AuthenticationFailed" or "AuthorizationFailure")
        {
            return "the request was not authorized (check the account key, or the identity's role on the storage account).";
        }

        text ??= string.Empty;
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        text = newline >= 0 ? text[..newline] : text;
        return text.Length > 300 ? text[..300] : text;
    }

    private static string? HeaderValue(Response response, string name) =>
        response.Headers.TryGetValue(name, out var value) ? value : null;

    private static void AppendQuery(StringBuilder query, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
