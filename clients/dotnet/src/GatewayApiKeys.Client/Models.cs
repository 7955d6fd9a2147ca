using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GatewayApiKeys.Client
{
    /// <summary>A key's status, computed by the daemon from its days left (docs/architecture.md, "The rules of a key") or its being disabled.</summary>
    public enum ApiKeyStatus
    {
        /// <summary>15 days or more left.</summary>
        Active,
        /// <summary>4 to 14 days left.</summary>
        Expiring,
        /// <summary>0 to 3 days left.</summary>
        ExpiresSoon,
        /// <summary>Past its last day.</summary>
        Expired,
        /// <summary>Disabled by an admin, whatever its days left.</summary>
        Disabled,
    }

    /// <summary>Why a presented key was refused.</summary>
    public enum AuthenticationFailureReason
    {
        /// <summary>Not a key at all: the format or its checksum is wrong (no lookup was made).</summary>
        Malformed,
        /// <summary>Well-formed, but no key has that value (or it is a previous value whose grace has passed).</summary>
        Unknown,
        /// <summary>The key is past its last day.</summary>
        Expired,
        /// <summary>The key is disabled.</summary>
        Disabled,
    }

    /// <summary>The answer of <c>connector.authenticate</c> (and of <c>apiKey.verify</c>).</summary>
    public sealed class AuthenticationResult
    {
        /// <summary>Whether the key is valid now.</summary>
        public bool Authenticated { get; set; }
        /// <summary>The key's name, when authenticated.</summary>
        public string? Name { get; set; }
        /// <summary>The key's last valid day, in the vault's time zone, when authenticated.</summary>
        [JsonConverter(typeof(DateOnlyConverter))]
        public DateTime? ExpiresOn { get; set; }
        /// <summary>The key's status, when authenticated.</summary>
        public ApiKeyStatus? Status { get; set; }
        /// <summary><c>true</c> when the value presented is the one a rotation replaced, still in its grace.</summary>
        public bool PreviousValue { get; set; }
        /// <summary>Why the key was refused, when not authenticated.</summary>
        public AuthenticationFailureReason? Reason { get; set; }
    }

    /// <summary>How many keys the vault holds, in total and by status.</summary>
    public sealed class KeyCounts
    {
        /// <summary>Every key.</summary>
        public int Total { get; set; }
        /// <summary>Keys with status Active.</summary>
        public int Active { get; set; }
        /// <summary>Keys with status Expiring.</summary>
        public int Expiring { get; set; }
        /// <summary>Keys with status ExpiresSoon.</summary>
        public int ExpiresSoon { get; set; }
        /// <summary>Keys with status Expired.</summary>
        public int Expired { get; set; }
        /// <summary>Keys with status Disabled.</summary>
        public int Disabled { get; set; }
    }

    /// <summary>The answer of <c>daemon.status</c>.</summary>
    public sealed class DaemonStatus
    {
        /// <summary>The daemon's version.</summary>
        public string ServerVersion { get; set; } = "";
        /// <summary>Seconds since the daemon started.</summary>
        public double UptimeSeconds { get; set; }
        /// <summary>The keys by status.</summary>
        public KeyCounts Keys { get; set; } = new KeyCounts();
        /// <summary>
        /// Where the keys are kept, and whether this host is in step with it (docs/farm.md); <c>null</c> from a daemon
        /// older than farms, whose store is its data dir alone.
        /// </summary>
        public StoreStatus? Store { get; set; }
    }

    /// <summary>The <c>store</c> of <c>daemon.status</c>: where the keys are kept, and how far behind it this host may be.</summary>
    public sealed class StoreStatus
    {
        /// <summary><c>files</c> for a single host (its data dir alone), <c>postgres</c> for a host of a gateway farm.</summary>
        public string Kind { get; set; } = "";
        /// <summary>Whether the store answered this host's last attempt.</summary>
        public bool Reachable { get; set; }
        /// <summary>When this host last read the farm's changes; <c>null</c> for files.</summary>
        public DateTimeOffset? LastSyncAt { get; set; }
        /// <summary>How far behind the store this host may be, in seconds; 0 for files.</summary>
        public double LagSeconds { get; set; }
        /// <summary>The hosts that share the store.</summary>
        public int Hosts { get; set; }
    }

    /// <summary>A key as the daemon describes it (<c>ApiKeyInfo</c>, docs/protocol.md); never its value.</summary>
    public class ApiKeyInfo
    {
        /// <summary>The key's unique name.</summary>
        public string Name { get; set; } = "";
        /// <summary>Its description (empty when none).</summary>
        public string Description { get; set; } = "";
        /// <summary>When it was created.</summary>
        public DateTimeOffset CreatedAt { get; set; }
        /// <summary>When it was last changed.</summary>
        public DateTimeOffset UpdatedAt { get; set; }
        /// <summary>Its last valid day, in the vault's time zone.</summary>
        [JsonConverter(typeof(DateOnlyConverter))]
        public DateTime ExpiresOn { get; set; }
        /// <summary>Its last successful authentication; <c>null</c> if never.</summary>
        public DateTimeOffset? LastUsedAt { get; set; }
        /// <summary>Its status.</summary>
        public ApiKeyStatus Status { get; set; }
        /// <summary>The colour of its status (Green, Orange, Red, Gray).</summary>
        public string Color { get; set; } = "";
        /// <summary>Days from today to its last day (negative once expired).</summary>
        public int DaysLeft { get; set; }
        /// <summary>The first 8 characters of its value (<c>gwk_</c> and 4), never more.</summary>
        public string Hint { get; set; } = "";
        /// <summary><c>false</c> once disabled.</summary>
        public bool Enabled { get; set; }
        /// <summary>Its last rotation; <c>null</c> if none.</summary>
        public DateTimeOffset? RotatedAt { get; set; }
        /// <summary>Until when the value before the last rotation still authenticates; <c>null</c> when none does.</summary>
        public DateTimeOffset? PreviousValidUntil { get; set; }
        /// <summary>When it was disabled; <c>null</c> while enabled.</summary>
        public DateTimeOffset? DisabledAt { get; set; }
        /// <summary>Why it was disabled, as the admin said; <c>null</c> when not said or while enabled.</summary>
        public string? DisabledReason { get; set; }
    }

    /// <summary>A key just created or rotated, with its value: shown this once by these calls.</summary>
    public sealed class ApiKeyWithValue : ApiKeyInfo
    {
        /// <summary>The key's value. Keep it secret: never log it.</summary>
        public string Key { get; set; } = "";
    }

    /// <summary>The answer of <c>apiKey.reveal</c>.</summary>
    public sealed class RevealedApiKey
    {
        /// <summary>The key's name.</summary>
        public string Name { get; set; } = "";
        /// <summary>Its description.</summary>
        public string Description { get; set; } = "";
        /// <summary>Its last valid day.</summary>
        [JsonConverter(typeof(DateOnlyConverter))]
        public DateTime ExpiresOn { get; set; }
        /// <summary>The key's value. Keep it secret: never log it.</summary>
        public string Key { get; set; } = "";
    }

    /// <summary>A page of <c>apiKey.list</c>.</summary>
    public sealed class ApiKeyList
    {
        /// <summary>The keys of this page.</summary>
        public List<ApiKeyInfo> Items { get; set; } = new List<ApiKeyInfo>();
        /// <summary>How many keys match, on every page.</summary>
        public int Total { get; set; }
    }

    /// <summary>The columns <c>apiKey.list</c> sorts by.</summary>
    public enum ApiKeySortColumn
    {
        /// <summary>By name, whatever its case.</summary>
        Name,
        /// <summary>By last valid day.</summary>
        ExpiresOn,
        /// <summary>By last use (never used first).</summary>
        LastUsedAt,
        /// <summary>By status, most urgent first.</summary>
        Status,
        /// <summary>By creation.</summary>
        CreatedAt,
    }

    /// <summary>What <c>apiKey.list</c> is asked for; every field is optional.</summary>
    public sealed class ApiKeyQuery
    {
        /// <summary>A wildcard pattern (<c>*</c>, <c>?</c>) the name matches, whatever its case.</summary>
        public string? Name { get; set; }
        /// <summary>A name taken as it is (for names with <c>*</c> or <c>?</c>); not with <see cref="Name"/>.</summary>
        public string? LiteralName { get; set; }
        /// <summary>Only keys with one of these statuses.</summary>
        public IReadOnlyList<ApiKeyStatus>? Status { get; set; }
        /// <summary>The column to sort by (name when not set).</summary>
        public ApiKeySortColumn? SortBy { get; set; }
        /// <summary>Sort descending.</summary>
        public bool? Descending { get; set; }
        /// <summary>Compute statuses as of this date (a preview; nothing changes).</summary>
        [JsonConverter(typeof(DateOnlyConverter))]
        public DateTime? AsOf { get; set; }
        /// <summary>How many matches to skip.</summary>
        public int? Offset { get; set; }
        /// <summary>How many matches at most (every one when not set).</summary>
        public int? Limit { get; set; }
    }

    /// <summary>A key to create: a name, and optionally a description and an expiry (one year from today when none).</summary>
    public sealed class NewApiKey
    {
        /// <summary>The name: 3 to 100 characters, unique whatever its case.</summary>
        public string Name { get; set; } = "";
        /// <summary>A description of at most 4000 characters.</summary>
        public string? Description { get; set; }
        /// <summary>Its last valid day; not with <see cref="ValidFor"/>.</summary>
        [JsonConverter(typeof(DateOnlyConverter))]
        public DateTime? ExpiresOn { get; set; }
        /// <summary>An ISO 8601 date duration from today (<c>P30D</c>, <c>P6M</c>, <c>P1Y</c>); not with <see cref="ExpiresOn"/>.</summary>
        public string? ValidFor { get; set; }
    }

    /// <summary>A change to a key: what is not set stays.</summary>
    public sealed class ApiKeyUpdate
    {
        /// <summary>The key to change.</summary>
        public string Name { get; set; } = "";
        /// <summary>Its new name.</summary>
        public string? NewName { get; set; }
        /// <summary>Its new description.</summary>
        public string? Description { get; set; }
        /// <summary>Its new last valid day; not with <see cref="ValidFor"/>.</summary>
        [JsonConverter(typeof(DateOnlyConverter))]
        public DateTime? ExpiresOn { get; set; }
        /// <summary>A new validity counted from today; not with <see cref="ExpiresOn"/>.</summary>
        public string? ValidFor { get; set; }
    }

    /// <summary>The uses of a key by one connector.</summary>
    public sealed class ConnectorUsage
    {
        /// <summary>The connectorId given with the authentications.</summary>
        public string ConnectorId { get; set; } = "";
        /// <summary>Its first use.</summary>
        public DateTimeOffset FirstUsedAt { get; set; }
        /// <summary>Its last use.</summary>
        public DateTimeOffset LastUsedAt { get; set; }
        /// <summary>How many uses.</summary>
        public long Count { get; set; }
    }

    /// <summary>The answer of <c>apiKey.usage</c>.</summary>
    public sealed class ApiKeyUsage
    {
        /// <summary>The key's name.</summary>
        public string Name { get; set; } = "";
        /// <summary>The 64 most recently seen connectors, the most recent first.</summary>
        public List<ConnectorUsage> Connectors { get; set; } = new List<ConnectorUsage>();
        /// <summary>Uses without a connectorId.</summary>
        public long UnattributedCount { get; set; }
    }

    /// <summary>What <c>audit.list</c> is asked for; every field is optional.</summary>
    public sealed class AuditQuery
    {
        /// <summary>Entries at or after this instant.</summary>
        public DateTimeOffset? Since { get; set; }
        /// <summary>Entries at or before this instant.</summary>
        public DateTimeOffset? Until { get; set; }
        /// <summary>Entries about this key, whatever its case.</summary>
        public string? KeyName { get; set; }
        /// <summary>Entries of this event (one of <c>AuditEvent</c> in schemas/defs.json).</summary>
        public string? Event { get; set; }
        /// <summary>The most recent this many matches.</summary>
        public int? Limit { get; set; }
    }

    /// <summary>One entry of the audit trail (docs/storage.md, "The audit trail"); never a secret.</summary>
    public sealed class AuditEntry
    {
        /// <summary>Its place in the trail.</summary>
        public long Seq { get; set; }
        /// <summary>When it happened.</summary>
        public DateTimeOffset At { get; set; }
        /// <summary>What happened.</summary>
        public string Event { get; set; } = "";
        /// <summary>The role of the session that acted; <c>null</c> for what no session did (an offline command, a burst of failures).</summary>
        public string? Role { get; set; }
        /// <summary>The number of the connection that acted; <c>null</c> for what no connection did.</summary>
        public long? Connection { get; set; }
        /// <summary>The operating-system account that acted, where the system tells.</summary>
        public string? Account { get; set; }
        /// <summary>The key concerned, if any.</summary>
        public string? KeyName { get; set; }
        /// <summary>The event's details.</summary>
        public JsonElement Detail { get; set; }
    }

    /// <summary>A page of <c>audit.list</c>.</summary>
    public sealed class AuditList
    {
        /// <summary>The entries, oldest first.</summary>
        public List<AuditEntry> Items { get; set; } = new List<AuditEntry>();
        /// <summary>How many match.</summary>
        public int Total { get; set; }
    }

    /// <summary>The answer of <c>audit.verify</c>.</summary>
    public sealed class AuditVerification
    {
        /// <summary>Whether every link of the chain holds.</summary>
        public bool Intact { get; set; }
        /// <summary>How many entries were checked, when intact.</summary>
        public long? Entries { get; set; }
        /// <summary>The first broken entry, when not intact.</summary>
        public long? BrokenAt { get; set; }
        /// <summary>What is wrong there, when not intact.</summary>
        public string? Reason { get; set; }
    }
}
