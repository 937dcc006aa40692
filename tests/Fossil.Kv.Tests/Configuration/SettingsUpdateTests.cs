using System.Text.Json.Nodes;
using Fossil.Kv.Configuration;

namespace Fossil.Kv.Tests.Configuration;

[Collection(EtcdCollection.Name)]
public sealed class SettingsUpdateTests(EtcdFixture etcd)
{
    [Fact]
    public async Task a_change_at_an_expected_revision_applies_only_if_nobody_changed_the_settings_since()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var (_, revision) = await store.GetVersionedSettingsAsync();

        var (_, first, firstRevision) = await store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "7d" }, revision);
        var stale = await Assert.ThrowsAsync<SettingsChangedException>(() => store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "9d" }, revision));
        // A bad value is named first, whatever the revision.
        await Assert.ThrowsAsync<InvalidSettingException>(() => store.UpdateSettingsAsync(new JsonObject { ["hnsw.m"] = "1" }, revision));
        var (settings, current) = await store.GetVersionedSettingsAsync();

        Assert.Equal("7d", first.Get("segment.retention"));
        Assert.Equal((revision, firstRevision), (stale.ExpectedRevision, stale.ActualRevision));
        Assert.Equal((firstRevision, "7d"), (current, settings.Get("segment.retention")));
        Assert.Equal("config_changed", stale.ErrorCode);
    }

    [Fact]
    public async Task a_change_at_several_expected_revisions_applies_if_the_settings_are_at_any_one()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var (_, revision) = await store.GetVersionedSettingsAsync();

        var (_, _, changedAt) = await store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "7d" }, [revision - 1, revision]);
        var stale = await Assert.ThrowsAsync<SettingsChangedException>(() => store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "9d" }, [revision - 1, revision]));
        var (settings, current) = await store.GetVersionedSettingsAsync();

        Assert.Equal((changedAt, "7d"), (current, settings.Get("segment.retention")));
        Assert.Equal([revision - 1, revision], stale.ExpectedRevisions);
        Assert.Equal((revision, changedAt), (stale.ExpectedRevision, stale.ActualRevision));
        Assert.StartsWith($"/meta/config changed since revision {revision} (it is at revision {changedAt} now)", stale.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_change_at_a_revision_later_than_the_settings_is_refused_as_one_never_answered()
    {
        await using var store = await StoreFactory.CreateAsync(etcd.Endpoints);
        var (before, revision) = await store.GetVersionedSettingsAsync();

        var future = await Assert.ThrowsAsync<SettingsChangedException>(() => store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "9d" }, revision + 1000));
        var both = await Assert.ThrowsAsync<SettingsChangedException>(() => store.UpdateSettingsAsync(new JsonObject { ["segment.retention"] = "9d" }, [revision - 1, revision + 1000]));
        var (after, current) = await store.GetVersionedSettingsAsync();

        Assert.Equal(revision, future.ActualRevision);
        Assert.Contains($"revision {revision + 1000} is not one this store has answered", future.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("changed since", future.Message, StringComparison.Ordinal);
        // With a stale revision beside it, both are said: what changed since the stale one, and that the other was never answered.
        Assert.Contains($"changed since revision {revision - 1}", both.Message, StringComparison.Ordinal);
        Assert.Contains($"revision {revision + 1000} is not one this store has answered", both.Message, StringComparison.Ordinal);
        Assert.Equal((revision, before.Get("segment.retention")), (current, after.Get("segment.retention")));
    }

    [Fact]
    public async Task a_store_configured_otherwise_than_meta_config_says_which_values_are_in_force()
    {
        var prefix = TestKeys.UniquePrefix();
        await using var first = await StoreFactory.CreateAsync(etcd.Endpoints, o =>
        {
            o.RootPrefix = prefix;
            o.Segment.Duration = "1h";
        });
        var options = new FossilOptions { RootPrefix = prefix, Etcd = first.Context.Options.Etcd };
        options.Segment.Duration = "5s";
        var logger = new SignalingLogger<EventStore>(1008);

        await using var second = await EventStore.ConnectAsync(options, logger);
        var settings = await second.GetSettingsAsync();

        Assert.Equal(TimeSpan.FromHours(1), settings.SegmentDuration);
        Assert.True(logger.Seen.IsCompleted, "no log said /meta/config rules");
        Assert.Contains("segment.duration is 1h there, 5s in this node's configuration", logger.Message, StringComparison.Ordinal);
    }
}
