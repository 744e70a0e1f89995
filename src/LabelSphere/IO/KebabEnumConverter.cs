using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LabelSphere.IO;

/// <summary>
/// Enum values in the files LabelSphere writes: in kebab case, as the command line takes them (<c>tf-idf</c>,
/// <c>self-information</c>, or a <see cref="JsonStringEnumMemberNameAttribute"/>'s name such as <c>rmsprop</c>).
/// Reading also accepts the member name in any case (<c>tfIdf</c>, <c>TfIdf</c>), so files written before still load.
/// </summary>
internal sealed class KebabEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    sealed class Converter<T> : JsonConverter<T> where T : struct, Enum
    {
        static readonly Dictionary<T, string> Names = Enum.GetValues<T>().Distinct().ToDictionary(v => v, NameOf);

        static readonly Dictionary<string, T> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

        static string NameOf(T value)
        {
            var member = value.ToString();
            return typeof(T).GetField(member)?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                ?? JsonNamingPolicy.KebabCaseLower.ConvertName(member);
        }

        static T Parse(string? text)
        {
            if (text is not null)
            {
                if (Values.TryGetValue(text, out var value)) return value;
                if (!text.Any(char.IsAsciiDigit) && Enum.TryParse(text.Replace("-", ""), ignoreCase: true, out value) && Enum.IsDefined(value)) return value;
            }
            throw new JsonException($"'{Printable.Shorten(text ?? "")}' is not one of {string.Join(", ", Names.Values)}");
        }

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()) : throw new JsonException($"expected one of {string.Join(", ", Names.Values)}");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Names.TryGetValue(value, out var name) ? name : throw new JsonException($"{value} is not a {typeof(T).Name}"));

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(reader.GetString());

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WritePropertyName(Names[value]);
    }
}
