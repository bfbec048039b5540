# Bad input to the CLI: a clear message, exit status 2, never a crash.
source "$(dirname "$0")/lib.bash"

counter="$(example_manifest counter)"

run_theater --version
expect_eq "version exit" "$status" 0
expect_contains "version" "$out" "theater 0.1.0"

run_theater --help
expect_eq "help exit" "$status" 0
expect_contains "help" "$out" "run MANIFEST"

run_theater run --help
expect_eq "run help exit" "$status" 0
expect_contains "run help" "$out" "--request JSON"

run_theater
expect_eq "no args" "$status" 2

run_theater frobnicate
expect_eq "unknown command exit" "$status" 2
expect_contains "unknown command" "$err" "unknown command 'frobnicate'"

run_theater run
expect_eq "run without manifest" "$status" 2
expect_contains "run without manifest" "$err" "give a MANIFEST, or --resume ID"

run_theater run "$counter" --send '{"op":'
expect_eq "bad json exit" "$status" 2
expect_contains "bad json" "$err" "--send #1 is not valid JSON"

run_theater run "$counter" --send
expect_eq "missing value exit" "$status" 2
expect_contains "missing value" "$err" "--send needs a JSON message"

run_theater run "$counter" --bogus
expect_eq "unknown option exit" "$status" 2
expect_contains "unknown option" "$err" "unknown option '--bogus'"

run_theater run "$work/missing.toml"
expect_eq "missing manifest exit" "$status" 2
expect_contains "missing manifest" "$err" "missing.toml"

printf 'name = "x"\nversoin = "1"\n' > "$work/typo.toml"
run_theater run "$work/typo.toml"
expect_eq "typo exit" "$status" 2
expect_contains "typo" "$err" "typo.toml:2:1"
expect_contains "typo hint" "$err" "did you mean 'version'"

printf 'name = "x"\nversion = "1"\npackage = "nothing.wasm"\n' > "$work/nopkg.toml"
run_theater run "$work/nopkg.toml"
expect_eq "missing package exit" "$status" 2
expect_contains "missing package" "$err" "cannot open package"

printf 'not wasm' > "$work/bad.wasm"
printf 'name = "x"\nversion = "1"\npackage = "bad.wasm"\n' > "$work/bad.toml"
run_theater run "$work/bad.toml"
expect_eq "bad package exit" "$status" 2
expect_contains "bad package" "$err" "is not a WebAssembly module"

# The counter imports runtime only; an echo manifest without message-server
# cannot receive messages.
sed '/\[\[handlers\]\]/,$d' "$counter" > "$work/nomsg.toml"
run_theater run "$work/nomsg.toml" --send '{"op":"inc"}'
expect_eq "no grant exit" "$status" 1
expect_contains "no grant" "$err" "needs the 'message-server' handler"

# The data-directory verbs name what is missing or wrong.
check_usage() { # expected-message args...
    local want="$1"
    shift
    run_theater "$@"
    expect_eq "$* exit" "$status" 2
    expect_contains "$*" "$err" "$want"
}
check_usage "a subcommand is required" chain
check_usage "unknown subcommand 'frob'" chain frob
check_usage "an actor ID is required" chain show --data "$work/d"
check_usage "give an actor ID or --all" chain verify abcd --all --data "$work/d"
check_usage "an actor ID and -o FILE are required" chain export abcd --data "$work/d"
check_usage "a FILE is required" chain import --data "$work/d"
check_usage "--from needs a number, not 'x'" chain show abcd --from x
check_usage "an actor ID is required" state --data "$work/d"
check_usage "--at needs a number, not '-1'" state abcd --at -1
check_usage "--to needs a number, not '1e3'" replay abcd --to 1e3
check_usage "unknown option or missing value '--bogus'" replay abcd --bogus
check_usage "give a MANIFEST, or --resume ID" run "$counter" --resume abcd

# A grant without the config it needs is refused before anything runs.
cp "$counter" "$work/fs.toml"
printf '\n[[handlers]]\ntype = "filesystem"\nconfig = { mode = "rw" }\n' >> "$work/fs.toml"
run_theater run "$work/fs.toml"
expect_eq "grant without its config exit" "$status" 2
expect_contains "grant without its config" "$err" "fs.toml:13:10: missing required key 'path' in the filesystem config"

finish
