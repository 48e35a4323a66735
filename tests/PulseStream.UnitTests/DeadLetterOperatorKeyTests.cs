using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PulseStream.Http;
using PulseStream.Operations;

namespace PulseStream.UnitTests;

/// <summary>The operator key gate of the dead-letter routes.</summary>
public class DeadLetterOperatorKeyTests
{
    private const string Key = "an-operator-key-of-at-least-32-characters";

    private static OperatorAuthorizer Authorizer(string? key) =>
        new(Options.Create(new OperationsOptions { OperatorKey = key }), NullLogger<OperatorAuthorizer>.Instance);

    private static HttpRequest Request(params string[] keys)
    {
        var context = new DefaultHttpContext();
        if (keys.Length > 0) context.Request.Headers[OperatorAuthorizer.Header] = keys;
        return context.Request;
    }

    private static (int Status, string Type) Problem(Microsoft.AspNetCore.Mvc.IActionResult? result)
    {
        var body = Assert.IsType<JsonBodyResult>(result);
        var problem = Assert.IsType<Problem>(body.Body);
        return (body.StatusCode, problem.Type[(problem.Type.LastIndexOf('/') + 1)..]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_a_configured_key_the_routes_do_not_exist(string? configured)
    {
        Assert.Equal((404, "not-found"), Problem(Authorizer(configured).Authorize(Request(Key))));
        Assert.Equal((404, "not-found"), Problem(Authorizer(configured).Authorize(Request())));
    }

    [Fact]
    public void A_missing_wrong_or_repeated_key_is_refused_and_the_right_one_passes()
    {
        var authorizer = Authorizer(Key);
        Assert.Equal((401, "missing-operator-key"), Problem(authorizer.Authorize(Request())));
        Assert.Equal((401, "missing-operator-key"), Problem(authorizer.Authorize(Request(""))));
        Assert.Equal((401, "invalid-operator-key"), Problem(authorizer.Authorize(Request(Key + "x"))));
        Assert.Equal((401, "invalid-operator-key"), Problem(authorizer.Authorize(Request(Key.ToUpperInvariant()))));
        Assert.Equal((401, "invalid-operator-key"), Problem(authorizer.Authorize(Request(Key, Key))));
        Assert.Null(authorizer.Authorize(Request(Key)));
    }
}
