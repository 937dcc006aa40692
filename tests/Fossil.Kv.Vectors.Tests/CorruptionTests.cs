using System.Text;
using Fossil.Kv.Vectors;
using FsCheck;
using FsCheck.Fluent;

namespace Fossil.Kv.Vectors.Tests;

/// <summary>Fuzz-style: damaged files fail with <see cref="VectorIndexCorruptException"/> and nothing else.</summary>
public sealed class CorruptionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly byte[] _vectors;
    private readonly byte[] _graph;
    private readonly float[][] _data;

    public CorruptionTests()
    {
        _data = TestData.Clustered(400, 16, clusters: 5, seed: 11);
        using var index = TestData.Build(_data, VectorMetric.Cosine, new HnswParameters(M: 6, EfConstruction: 40));
        var original = _dir.Sub("original");
        index.Save(original);
        _vectors = File.ReadAllBytes(Path.Combine(original, HnswIndex.VectorsFileName));
        _graph = File.ReadAllBytes(Path.Combine(original, HnswIndex.GraphFileName));
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Files => [HnswIndex.VectorsFileName, HnswIndex.GraphFileName];

    [Theory]
    [MemberData(nameof(Files))]
    public void every_header_byte_flip_is_detected(string file)
    {
        var target = _dir.Sub("header-" + file);
        for (var offset = 0; offset < 128; offset++)
        {
            WriteBoth(target, file, bytes => bytes[offset] ^= 0x01);
            var e = Assert.Throws<VectorIndexCorruptException>(() => MappedHnswIndex.Open(target).Dispose());
            Assert.EndsWith(file, e.FilePath, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void random_byte_flips_anywhere_are_detected(string file)
    {
        var random = new Random(file.Length);
        var target = _dir.Sub("flip-" + file);
        var length = file == HnswIndex.VectorsFileName ? _vectors.Length : _graph.Length;
        for (var trial = 0; trial < 300; trial++)
        {
            var offset = random.Next(length);
            var mask = (byte)(1 << random.Next(8));
            WriteBoth(target, file, bytes => bytes[offset] ^= mask);
            var e = Assert.Throws<VectorIndexCorruptException>(() => MappedHnswIndex.Open(target).Dispose());
            Assert.Contains(file, e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void truncations_and_extensions_are_detected(string file)
    {
        var random = new Random(file.Length + 1);
        var target = _dir.Sub("length-" + file);
        var original = file == HnswIndex.VectorsFileName ? _vectors : _graph;
        var lengths = new List<int> { 0, 1, 64, 127, 128, 129, original.Length - 1, original.Length + 1, original.Length + 4096 };
        for (var i = 0; i < 40; i++)
            lengths.Add(random.Next(original.Length));
        foreach (var length in lengths)
        {
            var resized = new byte[length];
            original.AsSpan(0, Math.Min(length, original.Length)).CopyTo(resized);
            File.WriteAllBytes(Path.Combine(target, HnswIndex.VectorsFileName), file == HnswIndex.VectorsFileName ? resized : _vectors);
            File.WriteAllBytes(Path.Combine(target, HnswIndex.GraphFileName), file == HnswIndex.GraphFileName ? resized : _graph);
            Assert.Throws<VectorIndexCorruptException>(() => MappedHnswIndex.Open(target).Dispose());
        }
    }

    [Fact]
    public void damaged_files_opened_without_verification_never_crash_a_search()
    {
        var random = new Random(3);
        var target = _dir.Sub("unverified");
        var queries = _data.Take(5).ToArray();
        var opened = 0;
        for (var trial = 0; trial < 200; trial++)
        {
            var file = trial % 2 == 0 ? HnswIndex.VectorsFileName : HnswIndex.GraphFileName;
            var length = file == HnswIndex.VectorsFileName ? _vectors.Length : _graph.Length;
            // Several random bytes past the header, where only the (skipped) checksums would notice.
            var offsets = Enumerable.Range(0, 8).Select(_ => 128 + random.Next(length - 128)).ToArray();
            var values = offsets.Select(_ => (byte)random.Next(256)).ToArray();
            WriteBoth(target, file, bytes =>
            {
                for (var i = 0; i < offsets.Length; i++)
                    bytes[offsets[i]] = values[i];
            });
            MappedHnswIndex index;
            try
            {
                index = MappedHnswIndex.Open(target, populate: false, verifyChecksums: false);
            }
            catch (VectorIndexCorruptException)
            {
                continue; // the node table is always checked
            }
            using (index)
            {
                opened++;
                foreach (var q in queries)
                {
                    var results = index.Search(q, 10, ef: 32);
                    Assert.InRange(results.Count, 0, 10);
                    index.Search(q, 3, ef: 8, filter: label => label % 2 == 0);
                }
            }
        }
        Assert.True(opened > 100, $"only {opened} of 200 damaged copies opened; the test would not exercise search");
    }

    [Fact]
    public void files_from_different_indexes_are_rejected()
    {
        var other = _dir.Sub("other");
        var shifted = _data.Select(v => v.Select(x => x + 1f).ToArray()).ToArray();
        using (var index = TestData.Build(shifted, VectorMetric.Cosine, new HnswParameters(M: 6, EfConstruction: 40)))
            index.Save(other);
        var mixed = _dir.Sub("mixed");
        File.WriteAllBytes(Path.Combine(mixed, HnswIndex.VectorsFileName), _vectors);
        File.Copy(Path.Combine(other, HnswIndex.GraphFileName), Path.Combine(mixed, HnswIndex.GraphFileName));

        var e = Assert.Throws<VectorIndexCorruptException>(() => MappedHnswIndex.Open(mixed).Dispose());
        Assert.Contains("not written together", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void swapped_files_are_rejected_by_magic()
    {
        var target = _dir.Sub("swapped");
        File.WriteAllBytes(Path.Combine(target, HnswIndex.VectorsFileName), _graph);
        File.WriteAllBytes(Path.Combine(target, HnswIndex.GraphFileName), _vectors);

        var e = Assert.Throws<VectorIndexCorruptException>(() => MappedHnswIndex.Open(target).Dispose());
        Assert.Contains("magic", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void a_missing_file_is_reported_as_missing()
    {
        var target = _dir.Sub("missing");
        File.WriteAllBytes(Path.Combine(target, HnswIndex.VectorsFileName), _vectors);

        Assert.Throws<FileNotFoundException>(() => MappedHnswIndex.Open(target).Dispose());
    }

    [Fact]
    public void crc32c_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void crc32c_hardware_and_software_paths_agree()
    {
        var property = Prop.ForAll(
            Arb.From(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b))),
            Gen.Choose(0, 64).ToArbitrary(),
            (bytes, split) =>
            {
                var cut = Math.Min(split, bytes.Length);
                var incremental = Crc32C.Append(Crc32C.Compute(bytes.AsSpan(0, cut)), bytes.AsSpan(cut));
                var software = ~Crc32C.UpdateSoftware(~0u, bytes);
                return Crc32C.Compute(bytes) == software && incremental == software;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    private void WriteBoth(string directory, string damagedFile, Action<byte[]> damage)
    {
        var vectors = (byte[])_vectors.Clone();
        var graph = (byte[])_graph.Clone();
        damage(damagedFile == HnswIndex.VectorsFileName ? vectors : graph);
        File.WriteAllBytes(Path.Combine(directory, HnswIndex.VectorsFileName), vectors);
        File.WriteAllBytes(Path.Combine(directory, HnswIndex.GraphFileName), graph);
    }
}
