using Microsoft.Extensions.Logging;

namespace Fossil.Kv.Tests;

/// <summary>A logger that lets a test wait until the store logs a given event id: a condition to wait on instead of a sleep.</summary>
internal sealed class SignalingLogger<T>(int eventId) : ILogger<T>
{
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Seen => _seen.Task;

    /// <summary>The message of the first entry with the event id, once seen.</summary>
    public string? Message { get; private set; }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (id.Id != eventId) return;
        lock (_seen) Message ??= formatter(state, exception);
        _seen.TrySetResult();
    }
}
