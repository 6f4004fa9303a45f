from dockslim.passes.maintainer_to_label import MaintainerToLabel
from dockslim.syntax import parse
from dockslim.testing import assert_fix, assert_no_fix


def test_simple():
    assert_fix(MaintainerToLabel, "FROM a\nMAINTAINER Jane Doe <jane@example.com>\n",
               'FROM a\nLABEL maintainer="Jane Doe <jane@example.com>"\n')


def test_value_survives_quotes_dollars_and_escape_char():
    before = 'FROM a\nMAINTAINER Jane "JD" $HOME \\o/\n'
    result = assert_fix(MaintainerToLabel, before, 'FROM a\nLABEL maintainer="Jane \\"JD\\" \\$HOME \\\\o/"\n')
    label = parse(result.text).instructions[1]
    # BuildKit reads the quoted word back; our parse_words keeps escapes, so compare the pair raw.
    assert label.pairs()[0][0] == "maintainer"


def test_backtick_escape_file():
    before = '# escape=`\nFROM a\nMAINTAINER C:\\Users "x"\n'
    assert_fix(MaintainerToLabel, before, '# escape=`\nFROM a\nLABEL maintainer="C:\\Users `"x`""\n')


def test_lowercase_and_crlf():
    assert_fix(MaintainerToLabel, "FROM a\r\nmaintainer me\r\n", 'FROM a\r\nlabel maintainer="me"\r\n')


def test_multiline_is_reported_not_fixed():
    result = assert_no_fix(MaintainerToLabel, "FROM a\nMAINTAINER Jane \\\n  Doe\n")
    assert result.findings and result.findings[0].fix is None


def test_nothing_to_do():
    assert_no_fix(MaintainerToLabel, 'FROM a\nLABEL maintainer="x"\n')
