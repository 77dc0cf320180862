using System.Text;
using Kompox.Yaml;

namespace Kompox.Tests.Yaml;

public class TextFileTests
{
    [Fact]
    public void A_byte_order_mark_is_dropped()
    {
        Assert.Equal("a: 1", TextFile.Decode(Encoding.UTF8.GetPreamble().Concat("a: 1"u8.ToArray()).ToArray(), "f"));
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x00, 0x62 }, "FileNotText", "NUL byte at offset 1")]
    [InlineData(new byte[] { 0x61, 0xC3, 0x28 }, "FileNotText", "invalid byte at offset 1")]
    [InlineData(new byte[] { 0x20, 0x0A, 0x09 }, "FileEmpty", "the file is empty")]
    public void Files_that_cannot_be_YAML_text_are_refused(byte[] bytes, string id, string message)
    {
        var e = Assert.ThrowsAny<KompoxException>(() => TextFile.Decode(bytes, "f"));
        Assert.Equal(id, e.ErrorId);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_not_a_file()
    {
        using var temp = new TempDir();
        Assert.Equal("FileIsDirectory", Assert.ThrowsAny<KompoxException>(() => TextFile.Read(temp.Path, "dir", 100)).ErrorId);
    }
}
