#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Completion scripts: each one loads in its shell and completes commands,
# subcommands and options (the options from 'cipher-tool completion --options COMMAND').
. "$(dirname "$0")/lib.sh"

bindir=$(cd "$(dirname "$CT")" && pwd)
export PATH="$bindir:$PATH"
for shell in bash zsh fish; do
    run 0 "$CT" completion "$shell"
    printf '%s\n' "$out" > "$TMP/completion.$shell"
done
run 2 "$CT" completion
contains "$err" "bash, zsh or fish"
run 2 "$CT" completion tcsh
contains "$err" "unknown shell \"tcsh\""
run 0 "$CT" completion --help
contains "$out" "usage: cipher-tool completion"

# bash: the function the script registers, driven as readline would.
bash_complete() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _cipher_tool
             complete -p cipher-tool >/dev/null || exit 9; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$TMP/completion.bash" "$@"
}
equals "$(bash_complete cipher-tool sea)" "seal"
equals "$(bash_complete cipher-tool re | sort | tr '\n' ' ')" "recipients render "
equals "$(bash_complete cipher-tool recipients '' | tr '\n' ' ')" "add remove "
equals "$(bash_complete cipher-tool keystore v)" "verify"
equals "$(bash_complete cipher-tool help rot)" "rotate"
got=$(bash_complete cipher-tool seal --pass | tr '\n' ' ')
equals "$got" "--password-file --password-fd --password-env "
equals "$(bash_complete cipher-tool exec --e)" "--env"
touch "$TMP/deployment.toml"
equals "$(cd "$TMP" && bash_complete cipher-tool seal deploy)" "deployment.toml"

# zsh: the script parses, and its function, run by zsh with the completion
# system's builtins recording what they are given, offers the right words.
zsh -n "$TMP/completion.zsh" || fail "zsh cannot parse its completion script"; ok
zsh_complete() {
    zsh -f -c '
        _describe() { local -a l; l=("${(@P)${@[-1]}}"); print -l -- ${l%%:*} }
        compadd() { local -a l; l=("${(@P)${@[-1]}}"); print -l -- $l }
        _files() { print -- FILES }
        source <(sed "\$d" "$1"); shift
        words=("$@"); CURRENT=$#; PREFIX=${words[-1]}
        _cipher-tool' _ "$TMP/completion.zsh" "$@" | grep -- "^${!#}" || true
}
equals "$(zsh_complete cipher-tool sea)" "seal"
equals "$(zsh_complete cipher-tool keystore l)" "list"
equals "$(zsh_complete cipher-tool check --j)" "--json"
equals "$(zsh_complete cipher-tool render --pass | tr '\n' ' ')" "--password-file --password-fd --password-env "
equals "$(zsh_complete cipher-tool seal '')" "FILES"

# fish: its own completion engine, asked with complete -C.
fish_complete() { fish --no-config -c "source '$TMP/completion.fish'; complete -C '$1'" | cut -f1; }
equals "$(fish_complete 'cipher-tool sea')" "seal"
equals "$(fish_complete 'cipher-tool recipients ' | tr '\n' ' ')" "add remove "
equals "$(fish_complete 'cipher-tool decrypt --pass' | tr '\n' ' ')" "--password-env --password-fd --password-file "
equals "$(cd "$TMP" && fish_complete 'cipher-tool seal deploy')" "deployment.toml"

# cmake --install puts each script where its shell looks.
if [ -f "${VAULT_BUILD:?}/cmake_install.cmake" ]; then
    cmake --install "$VAULT_BUILD" --prefix "$TMP/prefix" >/dev/null
    for f in share/bash-completion/completions/cipher-tool share/zsh/vendor-completions/_cipher-tool \
             share/fish/vendor_completions.d/cipher-tool.fish; do
        [ -s "$TMP/prefix/$f" ] || fail "not installed: $f"; ok
    done
fi
done_tests
