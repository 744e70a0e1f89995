using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace LabelSphere.Tests;

/// <summary>
/// Pins the public surface of the LabelSphere assembly: every public type and every public member declared on it,
/// against PublicApi.approved.txt beside this file. A type or member made public by accident fails here; one made
/// public on purpose is added to the approved list in the same change.
/// </summary>
public sealed class PublicApiTests
{
    const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>One line per public type (its kind and full name) and one per public member declared on it, sorted.</summary>
    internal static IReadOnlyList<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"{Kind(type)} {Name(type)}");
            foreach (var member in type.GetMembers(Declared))
            {
                if (member is Type) continue;
                // Accessors and the compiler's record members are listed through their property or not at all.
                if (member is MethodInfo { IsSpecialName: true } || member.Name.StartsWith('<')) continue;
                lines.Add($"{Name(type)}::{Member(member)}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    static string Kind(Type type) =>
        type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate" : type.IsAbstract && type.IsSealed ? "static class" : "class";

    static string Name(Type type)
    {
        if (type.IsGenericParameter) return type.Name;
        if (type.IsArray) return Name(type.GetElementType()!) + "[]";
        if (type.IsByRef) return Name(type.GetElementType()!) + "&";
        var name = type.IsNested ? Name(type.DeclaringType!) + "+" + type.Name : type.Namespace + "." + type.Name;
        if (!type.IsGenericType) return name;
        int tick = name.IndexOf('`');
        return (tick >= 0 ? name[..tick] : name) + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
    }

    static string Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $".ctor({Parameters(c)})",
        MethodInfo m => $"{(m.IsStatic ? "static " : "")}{m.Name}({Parameters(m)}) : {Name(m.ReturnType)}",
        PropertyInfo p => $"{(p.GetMethod?.IsStatic ?? p.SetMethod?.IsStatic ?? false ? "static " : "")}{p.Name} : {Name(p.PropertyType)}" +
                          $" {{{(p.GetMethod?.IsPublic == true ? " get;" : "")}{(p.SetMethod?.IsPublic == true ? " set;" : "")} }}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{f.Name} : {Name(f.FieldType)}",
        EventInfo e => $"event {e.Name} : {Name(e.EventHandlerType!)}",
        _ => member.ToString()!,
    };

    static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(p => Name(p.ParameterType)));

    static string ApprovedPath([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "PublicApi.approved.txt");

    [Fact]
    public void The_public_surface_is_the_approved_list()
    {
        // Given the public types and members of the library
        var actual = Describe(typeof(LabelClassifier).Assembly);
        var path = ApprovedPath();
        if (!File.Exists(path)) Assert.Skip($"{path}: the approved list is not beside the test sources");

        // When they are compared with the approved list
        var approved = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var added = actual.Except(approved).ToList();
        var removed = approved.Except(actual).ToList();

        // Then nothing was added or removed that the list does not say
        var message = new StringBuilder();
        if (added.Count > 0) message.AppendLine($"public but not approved ({added.Count}):").AppendJoin('\n', added.Take(40)).AppendLine();
        if (removed.Count > 0) message.AppendLine($"approved but not public ({removed.Count}):").AppendJoin('\n', removed.Take(40)).AppendLine();
        Assert.True(added.Count == 0 && removed.Count == 0, message.ToString());
    }

    [Fact]
    public void The_front_door_types_are_public_and_the_internals_are_not()
    {
        var assembly = typeof(LabelClassifier).Assembly;
        foreach (var name in new[] { "LabelSphere.LabelClassifier", "LabelSphere.LabelClassifierOptions", "LabelSphere.LabelData" })
            Assert.True(assembly.GetType(name, throwOnError: true)!.IsPublic, name);
        foreach (var name in new[] { "LabelSphere.IO.Npy", "LabelSphere.IO.AtomicFolder", "LabelSphere.Native.ElfVersionPatcher", "LabelSphere.Training.Checkpoint",
                                     "LabelSphere.Training.Trainer", "LabelSphere.SynchronousProgress`1" })
            Assert.False(assembly.GetType(name, throwOnError: true)!.IsVisible, name);
    }
}
