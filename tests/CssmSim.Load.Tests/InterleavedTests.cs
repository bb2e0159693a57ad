namespace CssmSim.Load.Tests;

/// <summary>The health comparison's rounds: two servers in alternating slices, so that other load on the machine falls on both.</summary>
public sealed class InterleavedTests
{
    [Fact]
    public async Task Slices_alternate_in_ABBA_order_and_each_side_gets_its_share_of_the_duration()
    {
        var order = new List<string>();
        var lengths = new List<TimeSpan>();
        Func<TimeSpan, Task<Slice>> Side(string name, long ops) => length =>
        {
            order.Add(name);
            lengths.Add(length);
            return Task.FromResult(new Slice(ops, 0, length, TimeSpan.FromMilliseconds(ops)));
        };

        var (a, b) = await Interleaved.RunAsync(4, TimeSpan.FromSeconds(12), Side("A", 100), Side("B", 300));

        string.Concat(order).ShouldBe("ABBAABBA");
        lengths.ShouldAllBe(l => l == TimeSpan.FromSeconds(3));
        a.Operations.ShouldBe(400);
        b.Operations.ShouldBe(1200);
        a.Elapsed.ShouldBe(TimeSpan.FromSeconds(12));
        (a.PerSecond / b.PerSecond).ShouldBe(1.0 / 3, 1e-9);
        b.Cpu.ShouldBe(TimeSpan.FromMilliseconds(1200));
    }

    [Fact]
    public async Task A_side_whose_cpu_time_is_unknown_in_any_slice_reports_none()
    {
        var k = 0;
        Task<Slice> Flaky(TimeSpan length) => Task.FromResult(new Slice(10, 1, length, k++ == 1 ? null : TimeSpan.FromMilliseconds(5)));
        Task<Slice> Steady(TimeSpan length) => Task.FromResult(new Slice(10, 0, length, TimeSpan.FromMilliseconds(5)));

        var (a, b) = await Interleaved.RunAsync(3, TimeSpan.FromSeconds(3), Flaky, Steady);

        a.Cpu.ShouldBeNull();
        a.Errors.ShouldBe(3);
        b.Cpu.ShouldBe(TimeSpan.FromMilliseconds(15));
    }
}
