using System.Runtime.CompilerServices;
using System.Text;
using Fossil.Kv.Etcd;

namespace Fossil.Kv.Tests;

/// <summary>A store on the fixture's etcd under a root prefix of its own, so tests never see each other's keys.</summary>
internal static class StoreFactory
{
    public static Task<EventStore> CreateAsync(IReadOnlyList<Uri> endpoints, Action<FossilOptions>? configure = null, [CallerMemberName] string test = "")
    {
        var options = new FossilOptions
        {
            RootPrefix = TestKeys.UniquePrefix(test),
            Etcd = new EtcdClientOptions { Endpoints = [.. endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] },
        };
        configure?.Invoke(options);
        return EventStore.ConnectAsync(options);
    }

    public static EventData Json(string type, string json = "{}", Guid? id = null) => new(id, type, Encoding.UTF8.GetBytes(json));

    public static EventData[] Events(int count, string type = "test-event") =>
        [.. Enumerable.Range(0, count).Select(i => Json(type, $"{{\"n\":{i}}}"))];

    public static async Task<List<RecordedEvent>> ReadAllOfStreamAsync(EventStore store, string stream)
    {
        var events = new List<RecordedEvent>();
        await foreach (var e in store.ReadStreamAsync(stream)) events.Add(e);
        return events;
    }
}
