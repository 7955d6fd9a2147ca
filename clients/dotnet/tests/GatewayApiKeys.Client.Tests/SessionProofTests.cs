using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using GatewayApiKeys.Client.Internal;
using Xunit;

namespace GatewayApiKeys.Client.Tests
{
    public class SessionProofTests
    {
        /// <summary>The worked example of docs/protocol.md ("Sessions"), from the fixture every client is checked against: each binding (Unix's empty one, a Windows one).</summary>
        [Fact]
        public void ProofsMatchTheWorkedExample()
        {
            using var example = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Repository, "test", "fixtures", "session-proof-example.json")));
            var root = example.RootElement;
            string Field(JsonElement element, string name) => element.GetProperty(name).GetString()!;
            var token = Encoding.UTF8.GetBytes(Field(root, "token"));
            var bindings = root.GetProperty("bindings").EnumerateArray().ToList();
            Assert.Equal(2, bindings.Count);
            foreach (var binding in bindings)
            {
                var cb = Field(binding, "binding");
                Assert.Equal(Field(binding, "serverProof"), SessionProof.ServerProof(token, Field(root, "clientNonce"), Field(root, "serverNonce"), cb));
                Assert.Equal(Field(binding, "clientProof"), SessionProof.ClientProof(token, Field(root, "serverNonce"), Field(root, "clientNonce"), cb));
            }
        }

        [Fact]
        public void TheBindingChangesBothProofs()
        {
            var token = Encoding.UTF8.GetBytes("gwt_token");
            Assert.NotEqual(SessionProof.ServerProof(token, "a", "b", "100:200"), SessionProof.ServerProof(token, "a", "b", "100:201"));
            Assert.NotEqual(SessionProof.ClientProof(token, "b", "a", "100:200"), SessionProof.ClientProof(token, "b", "a", "101:200"));
        }

        [Fact]
        public void ProofsCompareWhole()
        {
            Assert.True(SessionProof.SameProof("abc", "abc"));
            Assert.False(SessionProof.SameProof("abc", "abd"));
            Assert.False(SessionProof.SameProof("abc", "ab"));
        }
    }

    public class TargetFrameworkTests
    {
        /// <summary>Each test project runs the build of the client it says it does: the netstandard2.0 one really runs.</summary>
        [Fact]
        public void TheExpectedBuildOfTheClientRuns()
        {
            var framework = typeof(GatewayApiKeysClient).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName;
#if CLIENT_NETSTANDARD
            Assert.Equal(".NETStandard,Version=v2.0", framework);
#else
            Assert.Equal(".NETCoreApp,Version=v8.0", framework);
#endif
        }
    }

    public class ErrorCodeTests
    {
        /// <summary>The generated list is the schema's (npm run generate -- --check also fails on drift).</summary>
        [Fact]
        public void TheCodesAreThoseOfTheSchema()
        {
            using var defs = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Repository, "schemas", "defs.json")));
            var rows = defs.RootElement.GetProperty("$defs").GetProperty("ErrorCode").GetProperty("x-codes");
            var daemon = new System.Collections.Generic.List<string>();
            var client = new System.Collections.Generic.List<string>();
            foreach (var row in rows.EnumerateObject())
            {
                (row.Value.TryGetProperty("clientOnly", out _) ? client : daemon).Add(row.Name);
            }
            Assert.Equal(daemon, GatewayErrorCodes.DaemonCodes);
            Assert.Equal(client, GatewayErrorCodes.ClientCodes);
        }
    }
}
