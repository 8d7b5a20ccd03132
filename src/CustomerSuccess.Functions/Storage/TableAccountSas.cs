using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Data.Tables.Sas;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// How a connection string's account key (Azurite locally, or a key in Azure) reaches Table storage: the key signs an
/// account SAS once, and again before that one expires, and every request carries the SAS. Azure.Data.Tables 12.13.0
/// signs each request itself when handed the key, with a new <c>HMACSHA256</c> it never disposes, so every request
/// leaves a native HMAC context for the finalizer thread. Under the webhook load that clean-up was half of the app's
/// CPU (docs/benchmarks.md, "Table credentials"). Identity-based access (what the Bicep deploys) is not affected.
/// <para>
/// The SDK builds and signs the SAS (<see cref="TableAccountSasBuilder"/>). The SAS is renewed from this policy, run
/// once per call before the SDK's SAS policy reads the credential, when less than <see cref="RenewBefore"/> of its
/// life is left. The clock is real time, never the app's (the simulator moves that one): the service checks the
/// expiry against its own clock.
/// </para>
/// </summary>
internal sealed class TableAccountSas : HttpPipelineSynchronousPolicy
{
    /// <summary>How long each SAS is valid.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>A SAS with less than this left is replaced before the next request goes out.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromHours(2);

    private readonly TableSharedKeyCredential _key;
    private readonly TimeProvider _clock;
    private readonly Lock _renewing = new();
    private long _renewAtTicks;

    public TableAccountSas(TableSharedKeyCredential key, TimeProvider realClock)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(realClock);
        _key = key;
        _clock = realClock;
        Credential = new AzureSasCredential(Sign(out var renewAt));
        _renewAtTicks = renewAt.UtcTicks;
    }

    /// <summary>The credential the service client is built with; its signature changes when the SAS is renewed.</summary>
    public AzureSasCredential Credential { get; }

    /// <summary>When the current SAS expires.</summary>
    public DateTimeOffset ExpiresOn => new DateTimeOffset(Interlocked.Read(ref _renewAtTicks), TimeSpan.Zero) + RenewBefore;

    /// <summary>A client on <paramref name="endpoint"/> that sends this SAS, renewed as it ages.</summary>
    public static TableServiceClient CreateClient(Uri endpoint, TableSharedKeyCredential key, TableClientOptions options, TimeProvider realClock)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sas = new TableAccountSas(key, realClock);
        options.AddPolicy(sas, HttpPipelinePosition.PerCall);
        return new TableServiceClient(endpoint, sas.Credential, options);
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        if (_clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _renewAtTicks))
        {
            return;
        }

        lock (_renewing)
        {
            if (_clock.GetUtcNow().UtcTicks >= Interlocked.Read(ref _renewAtTicks))
            {
                Credential.Update(Sign(out var renewAt));
                Interlocked.Exchange(ref _renewAtTicks, renewAt.UtcTicks);
            }
        }
    }

    // Every table operation the app makes (tables created at start, entities read, written and deleted, transactions).
    private string Sign(out DateTimeOffset renewAt)
    {
        var expiresOn = _clock.GetUtcNow() + Lifetime;
        renewAt = expiresOn - RenewBefore;
        var builder = new TableAccountSasBuilder(TableAccountSasPermissions.All, TableAccountSasResourceTypes.All, expiresOn)
        {
            Protocol = TableSasProtocol.HttpsAndHttp,
        };
        return builder.Sign(_key);
    }
}
