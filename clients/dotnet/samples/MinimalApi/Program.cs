// A gateway's minimal API whose routes need an API key (X-API-Key or Authorization: ApiKey), checked by the
// gateway-apikeys daemon. From the repository, with `npm start`'s daemon running (its data dir is .data):
//
//   GATEWAY_APIKEYS_DATA_DIR=$PWD/.data dotnet run --project clients/dotnet/samples/MinimalApi
//
// then: curl -H "X-API-Key: gwk_..." -H "X-Connector-Id: my-connector" http://localhost:5080/orders
using System;
using System.Security.Claims;
using GatewayApiKeys.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://localhost:5080");
// The daemon's pipe and the gateway token are found where the daemon puts them (GATEWAY_APIKEYS_DATA_DIR, GATEWAY_APIKEYS_PIPE).
builder.Services.AddAuthentication(GatewayApiKeysDefaults.AuthenticationScheme).AddGatewayApiKeys();
builder.Services.AddAuthorization();
builder.Services.AddHealthChecks().AddGatewayApiKeysHealthCheck();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/orders", (ClaimsPrincipal user) => new { key = user.Identity!.Name, status = user.FindFirst(GatewayApiKeysDefaults.StatusClaimType)?.Value })
   .RequireAuthorization();
app.MapHealthChecks("/health");
app.Run();
