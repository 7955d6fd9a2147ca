using System;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GatewayApiKeys.Client
{
    /// <summary>A calendar date on the wire (<c>YYYY-MM-DD</c>, as <c>expiresOn</c>), a <see cref="DateTime"/> here (netstandard2.0 has no DateOnly).</summary>
    internal sealed class DateOnlyConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTime.ParseExact(reader.GetString() ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }
}

namespace GatewayApiKeys.Client.Internal
{
    internal static class Json
    {
        /// <summary>The contract's names are camelCase (KeyCounts' status names excepted, hence case-insensitive reading); absent fields are not sent.</summary>
        internal static readonly JsonSerializerOptions Options = Create();

        private static JsonSerializerOptions Create()
        {
            var options = new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                PropertyNameCaseInsensitive = true,
                DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            };
            // Statuses and reasons travel as they are named (Active, Malformed); sort columns camelCase (SortColumnConverter).
            options.Converters.Add(new SortColumnConverter());
            options.Converters.Add(new JsonStringEnumConverter());
            return options;
        }

        private sealed class SortColumnConverter : JsonConverter<ApiKeySortColumn>
        {
            public override ApiKeySortColumn Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                (ApiKeySortColumn)Enum.Parse(typeof(ApiKeySortColumn), reader.GetString() ?? "", ignoreCase: true);

            public override void Write(Utf8JsonWriter writer, ApiKeySortColumn value, JsonSerializerOptions options)
            {
                var name = value.ToString();
                writer.WriteStringValue(char.ToLowerInvariant(name[0]) + name.Substring(1));
            }
        }
    }
}
