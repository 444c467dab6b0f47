"""Shared data of the markup tests: the user map and Jira markup fragments for random texts."""

from __future__ import annotations

USERS = {"jsmith": "ivanov", "5b10a2844c20165700ede21g": "petrov"}

# Jira fragments random texts are built from: every construct, its broken halves, plain words.
JIRA_TOKENS = [
    "*", "_", "-", "+", "^", "~", "??", "{{", "}}", "[", "]", "|", "||", "!", "\n", "\n\n", " ", "  ",
    "\t", "word", "h1. ", "bq. ", "* ", "# ", "** ", "----", "--", "---", "{code}", "{noformat}",
    "{panel:title=T}", "{panel}", "{info}", "{color:red}", "{color}", "[~jsmith]", "[a|http://x.y]",
    "http://a.b/c_d", "(/)", ":)", "{%", "@[", "##", "==", "__", "<", "\\\\", "!a.png!", "[^f.txt]",
    "H~2~O", "x^2^", "[mailto:a@b.c]", "{quote}", "|a|b|\n", "*bold*", "-del-", "+ins+", "??q??",
    " *a* ", "*a *b*", "*x*y", "a*b*", "{color:blue}c{color}", "PROJ-7", "é", "\u00a0",
]  # fmt: skip
