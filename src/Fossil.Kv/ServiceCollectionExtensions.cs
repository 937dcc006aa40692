using Fossil.Kv.Etcd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fossil.Kv;

/// <summary>Registers Fossil.Kv in a .NET dependency-injection container.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="EtcdClient"/> (as <see cref="IEtcdClient"/>, unless one is registered
    /// already, which is how another client library is swapped in) and the <see cref="EventStore"/>.
    /// </summary>
    public static IServiceCollection AddFossilKv(this IServiceCollection services, Action<FossilOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<FossilOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton<IEtcdClient>(sp =>
        {
            var fossil = sp.GetRequiredService<IOptions<FossilOptions>>().Value;
            fossil.Etcd.Logger ??= sp.GetService<ILoggerFactory>()?.CreateLogger("Fossil.Kv.Etcd");
            return new EtcdClient(fossil.Etcd);
        });
        services.TryAddSingleton(sp => new EventStore(
            sp.GetRequiredService<IEtcdClient>(),
            sp.GetRequiredService<IOptions<FossilOptions>>().Value,
            sp.GetService<ILogger<EventStore>>()));
        return services;
    }

    /// <summary>
    /// Binds <c>Fossil:*</c> from configuration (e.g. <c>Fossil__Etcd__Endpoints=http://a:2379,http://b:2379</c>,
    /// <c>Fossil:Segment:Duration</c>), then applies <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddFossilKv(this IServiceCollection services, IConfiguration configuration, Action<FossilOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddFossilKv(options =>
        {
            FossilConfiguration.Bind(configuration, options);
            configure?.Invoke(options);
        });
    }
}

/// <summary>Reads <see cref="FossilOptions"/> from .NET configuration.</summary>
public static class FossilConfiguration
{
    /// <summary>
    /// Copies the <c>Fossil</c> section of <paramref name="configuration"/> onto <paramref name="options"/>; settings it
    /// does not name keep their values, and unknown ones are ignored. <c>Fossil:Etcd:Endpoints</c> may be one
    /// comma-separated value (as environment variables and command lines give it) or a list.
    /// </summary>
    public static void Bind(IConfiguration configuration, FossilOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var section = configuration.GetSection(FossilOptions.Section);
        var endpointsSection = section.GetSection("Etcd:Endpoints");
        // One comma-separated value (environment variables, command line) or a JSON array.
        var endpoints = endpointsSection.Value is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : endpointsSection.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToArray();
        section.Bind(options, binder => binder.ErrorOnUnknownConfiguration = false);
        if (endpoints.Length > 0) options.Etcd.Endpoints = [.. endpoints];
    }
}
