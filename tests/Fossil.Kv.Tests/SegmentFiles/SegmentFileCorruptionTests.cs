using Fossil.Kv.SegmentFiles;

namespace Fossil.Kv.Tests.SegmentFiles;

/// <summary>Fuzz-style: damage a valid segment's files at random and check the reader only ever reports corruption.</summary>
public sealed class SegmentFileCorruptionTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly List<WrittenEvent> _events = SegmentFixture.Generate(seed: 42, events: 60, largeEvent: false);
    private readonly string _pristine;

    public SegmentFileCorruptionTests() => _pristine = SegmentFixture.Write(_root, _events);

    public void Dispose() => _root.Dispose();

    public static TheoryData<string> Files => new(SegmentFileNames.DataFiles.Append(SegmentFileNames.Meta));

    private string Copy(string name)
    {
        var dir = _root.Combine(name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(_pristine))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        return dir;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void a_flipped_byte_anywhere_in_a_file_is_detected(string file)
    {
        var dir = Copy("flip-" + file);
        var path = Path.Combine(dir, file);
        var original = File.ReadAllBytes(path);
        var random = new Random(file.GetHashCode(StringComparison.Ordinal));
        // The header bytes, then random offsets over the whole file.
        var offsets = Enumerable.Range(0, Math.Min(128, original.Length)).Concat(Enumerable.Range(0, 150).Select(_ => random.Next(original.Length)));
        foreach (var offset in offsets)
        {
            var damaged = (byte[])original.Clone();
            damaged[offset] ^= (byte)random.Next(1, 256);
            File.WriteAllBytes(path, damaged);
            var e = Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileSet.Open(dir, populate: false).Dispose());
            Assert.EndsWith(file, e.FilePath, StringComparison.Ordinal);
            Assert.False(SegmentFileSet.TryVerify(dir, out var problem));
            Assert.NotNull(problem);
        }
        File.WriteAllBytes(path, original);
        Assert.True(SegmentFileSet.TryVerify(dir, out var none), none?.Message);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void a_truncated_or_extended_file_is_detected(string file)
    {
        var dir = Copy("cut-" + file);
        var path = Path.Combine(dir, file);
        var original = File.ReadAllBytes(path);
        var random = new Random(7);
        var lengths = new[] { 0, 1, original.Length - 1, original.Length / 2, 63, 64, 127, 128 }
            .Concat(Enumerable.Range(0, 30).Select(_ => random.Next(original.Length)))
            .Where(l => l >= 0 && l < original.Length);
        foreach (var length in lengths)
        {
            File.WriteAllBytes(path, original.AsSpan(0, length).ToArray());
            var e = Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileSet.Open(dir, populate: false, verify: false).Dispose());
            Assert.EndsWith(file, e.FilePath, StringComparison.Ordinal);
        }
        foreach (var extra in new[] { 1, 8, 4096 })
        {
            File.WriteAllBytes(path, [.. original, .. new byte[extra]]);
            Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileSet.Open(dir, populate: false).Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void a_missing_file_is_detected(string file)
    {
        var dir = Copy("missing-" + file);
        File.Delete(Path.Combine(dir, file));
        var e = Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileSet.Open(dir, populate: false).Dispose());
        Assert.EndsWith(file, e.FilePath, StringComparison.Ordinal);
        Assert.False(SegmentFileSet.TryOpen(dir, populate: false, out _, out var problem));
        Assert.Contains("missing", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void a_missing_directory_is_reported_not_opened()
    {
        var dir = _root.Combine("nowhere");
        Assert.Throws<DirectoryNotFoundException>(() => SegmentFileSet.Open(dir, populate: false));
        Assert.False(SegmentFileSet.TryVerify(dir, out var problem));
        Assert.Equal(dir, problem.FilePath);
    }

    [Theory]
    [InlineData(SegmentFileNames.Documents)]
    [InlineData(SegmentFileNames.Entities)]
    [InlineData(SegmentFileNames.Vectors)]
    public void a_file_from_another_segment_is_detected(string file)
    {
        using var other = new TempDirectory();
        var otherDir = SegmentFixture.Write(other, SegmentFixture.Generate(seed: 43, events: 60, largeEvent: false));
        var dir = Copy("swap-" + file);
        File.Copy(Path.Combine(otherDir, file), Path.Combine(dir, file), overwrite: true);
        Assert.Throws<SegmentFilesCorruptException>(() => SegmentFileSet.Open(dir, populate: false).Dispose());
    }

    /// <summary>Without verification damage can give wrong answers, but reads must stay in bounds and fail only as corruption.</summary>
    [Theory]
    [InlineData(SegmentFileNames.Documents)]
    [InlineData(SegmentFileNames.DocumentIndex)]
    [InlineData(SegmentFileNames.Entities)]
    public void unverified_reads_of_a_damaged_file_stay_in_bounds(string file)
    {
        var dir = Copy("unverified-" + file);
        var path = Path.Combine(dir, file);
        var original = File.ReadAllBytes(path);
        var random = new Random(11);
        for (var round = 0; round < 150; round++)
        {
            var damaged = (byte[])original.Clone();
            for (var n = random.Next(1, 4); n > 0; n--)
                damaged[random.Next(64, damaged.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, damaged);
            try
            {
                using var set = SegmentFileSet.Open(dir, populate: false, verify: false);
                long sum = 0;
                foreach (var doc in set.ReadAll())
                    sum += doc.Record.Length;
                foreach (var stream in set.GetStreams())
                {
                    foreach (var doc in set.ReadStream(stream.Stream, 0))
                        sum += doc.Record.Length;
                    foreach (var doc in set.ReadStream(stream.Stream, long.MaxValue, Fossil.Kv.Direction.Backwards))
                        sum += doc.Record.Length;
                }
                foreach (var entity in set.GetEntities())
                {
                    foreach (var doc in set.ReadEntity(entity.Entity))
                        sum += doc.Record.Length;
                    sum += set.GetRelatedEntities(entity.Entity).Count;
                }
                sum += set.GetCoOccurrences().Count;
                foreach (var e in _events)
                    sum += set.FindOrdinal(e.Position) + (set.TryGet(e.SegmentPosition, out _) ? 1 : 0);
                Assert.True(sum >= 0);
            }
            catch (SegmentFilesCorruptException)
            {
            }
        }
    }
}
