using Fossil.Kv.Chaos.History;

namespace Fossil.Kv.Chaos.Tests;

/// <summary>
/// Hand-made histories: one that keeps every rule, and for each rule one that breaks it, so the checker is
/// shown to catch what the chaos run relies on it to catch.
/// </summary>
public sealed class HistoryCheckerTests
{
    private static Guid Id(int n) => new(n, 0, 0, new byte[8]);

    private static string At(long revision, int index = 0) => $"{revision:D20}-{index:D4}";

    private static ObservedEvent E(int id, string stream, long version, string position) => new(Id(id), stream, version, position);

    private static AppendAttempt Ack(params PartResult[] results) => new(1, "node0", DateTime.UnixEpoch, 1, Outcome.Acknowledged, 201, null, results);

    private static AppendAttempt Timeout(int number = 1) => new(number, "node0", DateTime.UnixEpoch, 5000, Outcome.Unknown, null, "timeout");

    private static AppendAttempt WrongVersion(string stream, string expected, string actual, int number = 1) =>
        new(number, "node0", DateTime.UnixEpoch, 1, Outcome.DefiniteError, 409, "wrong_expected_version", Conflict: new Conflict(stream, expected, actual));

    private static AppendOperation Single(long id, string stream, string expected, int[] events, params AppendAttempt[] attempts) =>
        new(id, "test", false, [new StreamPart(stream, expected, [.. events.Select(Id)])], attempts);

    // The valid baseline: a gets 1,2 (no_stream) then 3 (exact 1); a multi-stream append puts 4 on a (any)
    // and 5 on b (no_stream) in one commit; 6 is refused with a 409; 7 timed out and never landed.
    private static readonly ObservedEvent[] Log =
    [
        E(1, "a", 0, At(10, 0)), E(2, "a", 1, At(10, 1)), E(3, "a", 2, At(11)), E(4, "a", 3, At(12, 0)), E(5, "b", 0, At(12, 1)),
    ];

    private static List<AppendOperation> Operations() =>
    [
        Single(1, "a", "no_stream", [1, 2], Ack(new PartResult("a", 0, 1, At(10, 1)))),
        Single(2, "a", "1", [3], Ack(new PartResult("a", 2, 2, At(11)))),
        new(3, "test", true, [new StreamPart("a", "any", [Id(4)]), new StreamPart("b", "no_stream", [Id(5)])],
            [Ack(new PartResult("a", 3, 3, At(12, 0)), new PartResult("b", 0, 0, At(12, 1)))]),
        Single(4, "b", "5", [6], WrongVersion("b", "5", "0")),
        Single(5, "b", "any", [7], Timeout()),
    ];

    private static ChaosHistory Build(IReadOnlyList<AppendOperation> operations, IReadOnlyList<ObservedEvent> log, params Observation[] observations)
    {
        var streams = log.GroupBy(e => e.Stream).ToDictionary(g => g.Key, g => (IReadOnlyList<ObservedEvent>)[.. g.OrderBy(e => e.Version)]);
        return new ChaosHistory(operations, observations, new FinalHistory(log, streams));
    }

    private static CheckReport Check(ChaosHistory history) => HistoryChecker.Check(history);

    private static void AssertViolation(CheckReport report, string rule) =>
        Assert.True(report.Violations.Any(v => v.Rule == rule), $"expected a '{rule}' violation, got:\n{report.Format()}");

    [Fact]
    public void a_history_that_keeps_every_rule_passes_with_its_counts()
    {
        var report = Check(Build(Operations(), Log,
            new Observation("reader", ObservationKind.GlobalRead, null, At(0), Log, Complete: true),
            new Observation("live", ObservationKind.GlobalSubscription, null, null, Log[2..]),
            new Observation("b", ObservationKind.StreamSubscription, "b", "-1", [Log[4]])));

        Assert.True(report.Passed, report.Format());
        Assert.Equal((5, 3, 1, 1, 0, 1), (report.OperationsAttempted, report.Acknowledged, report.FailedDefinite, report.Unknown, report.UnknownPresent, report.UnknownAbsent));
        Assert.Equal(7, report.EventsSent);
        Assert.Equal(5, report.EventsInLog);
    }

    [Fact]
    public void an_acknowledged_event_missing_from_the_final_history_is_lost()
    {
        var report = Check(Build(Operations(), Log[..3]));
        AssertViolation(report, "lost");
        Assert.Equal(2, report.Lost);
    }

    [Fact]
    public void an_event_nobody_sent_is_a_phantom()
    {
        var report = Check(Build(Operations(), [.. Log, E(99, "b", 1, At(13))]));
        AssertViolation(report, "phantom");
        Assert.Equal(1, report.Phantom);
    }

    [Fact]
    public void an_event_in_another_stream_than_it_was_sent_to_is_a_phantom()
    {
        var log = Log.ToArray();
        log[4] = E(5, "c", 0, At(12, 1));
        AssertViolation(Check(Build(Operations(), log)), "phantom");
    }

    [Fact]
    public void an_exact_append_in_the_history_twice_is_duplicated()
    {
        var report = Check(Build(Operations()[..2], [.. Log[..3], E(3, "a", 3, At(12))]));
        AssertViolation(report, "duplicated");
        Assert.Equal(1, report.Duplicated);
    }

    [Fact]
    public void an_any_append_retried_after_another_append_landed_may_be_there_twice()
    {
        List<AppendOperation> ops =
        [
            Single(1, "s", "any", [1], Timeout(), Ack(new PartResult("s", 2, 2, At(3)))),
            Single(2, "s", "any", [2], Ack(new PartResult("s", 1, 1, At(2)))),
        ];
        var report = Check(Build(ops, [E(1, "s", 0, At(1)), E(2, "s", 1, At(2)), E(1, "s", 2, At(3))]));
        Assert.True(report.Passed, report.Format());
        Assert.Equal(1, report.DuplicatedPermitted);
    }

    [Fact]
    public void an_any_append_twice_in_a_row_is_duplicated_since_it_was_still_the_last_append()
    {
        List<AppendOperation> ops = [Single(1, "s", "any", [1], Timeout(), Ack(new PartResult("s", 1, 1, At(2))))];
        AssertViolation(Check(Build(ops, [E(1, "s", 0, At(1)), E(1, "s", 1, At(2))])), "duplicated");
    }

    [Fact]
    public void stream_versions_with_a_gap_are_reported()
    {
        var log = Log.ToArray();
        log[2] = E(3, "a", 5, At(11));
        AssertViolation(Check(Build(Operations(), log)), "version-gap");
    }

    [Fact]
    public void a_stream_version_written_twice_in_the_global_log_is_a_fork()
    {
        List<AppendOperation> ops =
        [
            Single(1, "s", "no_stream", [1], Ack(new PartResult("s", 0, 0, At(1)))),
            Single(2, "s", "0", [2], Ack(new PartResult("s", 1, 1, At(2)))),
            Single(3, "s", "0", [3], Ack(new PartResult("s", 1, 1, At(3)))),
        ];
        ObservedEvent[] log = [E(1, "s", 0, At(1)), E(2, "s", 1, At(2)), E(3, "s", 1, At(3))];
        // The stream read follows the head, which names only one of the two segments.
        var history = new ChaosHistory(ops, [], new FinalHistory(log, new Dictionary<string, IReadOnlyList<ObservedEvent>> { ["s"] = log[..2] }));
        AssertViolation(Check(history), "version-gap");
        AssertViolation(Check(history), "stream-vs-log");
    }

    [Fact]
    public void an_exact_append_acknowledged_at_another_version_breaks_its_expectation()
    {
        var ops = Operations();
        ops[1] = Single(2, "a", "0", [3], Ack(new PartResult("a", 2, 2, At(11))));
        AssertViolation(Check(Build(ops, Log)), "expected-version");
    }

    [Fact]
    public void an_answer_that_does_not_say_where_the_events_are_is_reported()
    {
        var ops = Operations();
        ops[1] = Single(2, "a", "1", [3], Ack(new PartResult("a", 2, 2, At(11, 3))));
        AssertViolation(Check(Build(ops, Log)), "result");
    }

    [Fact]
    public void a_repeat_must_return_the_original_result()
    {
        var ops = Operations();
        ops[1] = Single(2, "a", "1", [3], Ack(new PartResult("a", 2, 2, At(11))), Ack(new PartResult("a", 3, 3, At(12))) with { Number = 2, Resend = true });
        AssertViolation(Check(Build(ops, Log)), "repeat");
    }

    [Fact]
    public void a_409_whose_actual_equals_the_expected_version_is_reported()
    {
        var ops = Operations();
        ops[3] = Single(4, "b", "0", [6], WrongVersion("b", "0", "0"));
        AssertViolation(Check(Build(ops, Log)), "conflict");
    }

    [Fact]
    public void a_409_naming_a_version_the_stream_never_reached_is_reported()
    {
        var ops = Operations();
        ops[3] = Single(4, "b", "5", [6], WrongVersion("b", "5", "3"));
        AssertViolation(Check(Build(ops, Log)), "conflict");
    }

    [Fact]
    public void events_of_a_refused_append_in_the_history_are_reported()
    {
        var report = Check(Build(Operations(), [.. Log, E(6, "b", 1, At(13))]));
        AssertViolation(report, "written-despite-error");
    }

    [Fact]
    public void an_unknown_multi_stream_append_present_in_only_one_stream_is_partial()
    {
        var ops = Operations();
        ops[2] = ops[2] with { Attempts = [Timeout()] };
        var report = Check(Build(ops, Log[..4]));
        AssertViolation(report, "partial");
    }

    [Fact]
    public void an_unknown_append_that_landed_whole_resolves_as_present()
    {
        var ops = Operations();
        ops[4] = Single(5, "b", "any", [7], Timeout(), Timeout(2));
        var report = Check(Build(ops, [.. Log, E(7, "b", 1, At(13))]));
        Assert.True(report.Passed, report.Format());
        Assert.Equal((1, 1, 0), (report.Unknown, report.UnknownPresent, report.UnknownAbsent));
    }

    [Fact]
    public void one_appends_events_must_be_consecutive_in_the_stream()
    {
        List<AppendOperation> ops =
        [
            Single(1, "s", "no_stream", [1, 2], Ack(new PartResult("s", 0, 2, At(3)))),
            Single(2, "s", "any", [3], Ack(new PartResult("s", 1, 1, At(2)))),
        ];
        AssertViolation(Check(Build(ops, [E(1, "s", 0, At(1)), E(3, "s", 1, At(2)), E(2, "s", 2, At(3))])), "contiguous");
    }

    [Fact]
    public void positions_that_do_not_increase_in_the_final_log_are_out_of_order()
    {
        var log = Log.ToArray();
        (log[2], log[3]) = (log[2] with { Position = At(12, 0) }, log[3] with { Position = At(11) });
        var report = Check(Build(Operations(), log));
        AssertViolation(report, "order");
        Assert.True(report.OutOfOrder > 0);
    }

    [Fact]
    public void positions_are_compared_as_ordinal_strings_not_as_numbers()
    {
        List<AppendOperation> ops = [Single(1, "s", "no_stream", [1, 2], Ack(new PartResult("s", 0, 1, "10-0000")))];
        AssertViolation(Check(Build(ops, [E(1, "s", 0, "9-0000"), E(2, "s", 1, "10-0000")])), "order");
    }

    [Fact]
    public void a_reader_that_saw_another_position_for_an_event_is_reported()
    {
        var seen = Log.ToArray();
        seen[2] = seen[2] with { Position = At(11, 1) };
        var report = Check(Build(Operations(), Log, new Observation("reader", ObservationKind.GlobalRead, null, At(0), seen)));
        AssertViolation(report, "reader");
    }

    [Fact]
    public void a_subscriber_that_skipped_an_event_in_its_range_missed_it()
    {
        var report = Check(Build(Operations(), Log, new Observation("sub", ObservationKind.GlobalSubscription, null, At(0), [Log[0], Log[1], Log[3]])));
        AssertViolation(report, "reader");
        Assert.Equal(1, report.Missed);
    }

    [Fact]
    public void a_subscriber_that_got_an_event_twice_is_reported()
    {
        var report = Check(Build(Operations(), Log, new Observation("sub", ObservationKind.GlobalSubscription, null, null, [Log[0], Log[1], Log[1], Log[2]])));
        AssertViolation(report, "order");
        AssertViolation(report, "reader");
    }

    [Fact]
    public void a_subscriber_that_got_events_out_of_order_is_reported()
    {
        var report = Check(Build(Operations(), Log, new Observation("sub", ObservationKind.StreamSubscription, "a", "-1", [Log[0], Log[2], Log[1]])));
        AssertViolation(report, "order");
    }

    [Fact]
    public void a_complete_read_on_another_node_must_hold_the_whole_history()
    {
        var report = Check(Build(Operations(), Log, new Observation("node1", ObservationKind.GlobalRead, null, At(0), Log[..4], Complete: true)));
        AssertViolation(report, "reader");
    }

    [Fact]
    public void a_stream_read_on_its_own_must_match_its_events_in_the_global_log()
    {
        var history = Build(Operations(), Log);
        var streams = history.Final.Streams.ToDictionary(p => p.Key, p => p.Value);
        streams["b"] = [];
        AssertViolation(Check(history with { Final = history.Final with { Streams = streams } }), "stream-vs-log");
    }

    [Fact]
    public void an_any_append_resent_after_its_acknowledgement_may_land_again_only_behind_another_append()
    {
        var resent = new AppendAttempt(2, "node1", DateTime.UnixEpoch, 1, Outcome.Acknowledged, 201, null, [new PartResult("s", 2, 2, At(3))], Resend: true);
        List<AppendOperation> ops =
        [
            Single(1, "s", "any", [1], Ack(new PartResult("s", 0, 0, At(1))), resent),
            Single(2, "s", "any", [2], Ack(new PartResult("s", 1, 1, At(2)))),
        ];
        var overtaken = Check(Build(ops, [E(1, "s", 0, At(1)), E(2, "s", 1, At(2)), E(1, "s", 2, At(3))]));
        Assert.True(overtaken.Passed, overtaken.Format());
        Assert.Equal((1, 1), (overtaken.DuplicatedPermitted, overtaken.Resent));

        var stillLast = Check(Build([Single(1, "s", "any", [1], Ack(new PartResult("s", 0, 0, At(1))), resent with { Results = [new PartResult("s", 1, 1, At(2))] })],
            [E(1, "s", 0, At(1)), E(1, "s", 1, At(2))]));
        AssertViolation(stillLast, "duplicated");
    }

    [Fact]
    public void a_refused_connection_wrote_nothing_but_does_not_settle_an_earlier_unknown_attempt()
    {
        var refused = new AppendAttempt(1, "node0", DateTime.UnixEpoch, 1, Outcome.NotSent, null, "connection refused");
        Assert.Equal(Outcome.DefiniteError, HistoryChecker.OutcomeOf(Single(1, "s", "any", [1], refused, refused with { Number = 2 })));
        Assert.Equal(Outcome.Unknown, HistoryChecker.OutcomeOf(Single(1, "s", "any", [1], Timeout(), refused with { Number = 2 })));
        Assert.Equal(Outcome.Unknown, HistoryChecker.OutcomeOf(Single(1, "s", "any", [1], Timeout(), refused with { Number = 2 }, WrongVersion("s", "any", "3", 3))));
        Assert.Equal(Outcome.DefiniteError, HistoryChecker.OutcomeOf(Single(1, "s", "0", [1], refused, WrongVersion("s", "0", "3", 2))));

        var report = Check(Build([Single(1, "s", "any", [1], refused)], [E(1, "s", 0, At(1))]));
        AssertViolation(report, "written-despite-error");
    }

    [Fact]
    public void a_409_after_an_unknown_attempt_is_final_only_for_exact_expectations()
    {
        var exact = Single(1, "s", "3", [1], Timeout(), WrongVersion("s", "3", "5", 2));
        var any = new AppendOperation(2, "test", true, [new StreamPart("s", "any", [Id(2)]), new StreamPart("t", "2", [Id(3)])], [Timeout(), WrongVersion("t", "2", "4", 2)]);
        Assert.Equal(Outcome.DefiniteError, HistoryChecker.OutcomeOf(exact));
        Assert.Equal(Outcome.Unknown, HistoryChecker.OutcomeOf(any));
        Assert.Equal(Outcome.DefiniteError, HistoryChecker.OutcomeOf(any with { Attempts = [WrongVersion("t", "2", "4")] }));
    }
}
