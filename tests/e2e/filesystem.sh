# The filesystem handler end to end: the real `theater` binary runs the
# tests/actors/cap_fs actor (every call through the C SDK and the canonical
# ABI) on a real directory: reads, writes, listings and deletes; escapes by
# "..", absolute paths, links and long names refused (NUL bytes, which the
# CLI's JSON cannot carry, are in tests/unit/test_filesystem.c); a
# read-only grant; the root found beside the manifest whatever the working
# directory; and a replay that is identical after the directory is gone,
# and creates nothing.
source "$(dirname "$0")/lib.bash"

data="$work/data"
site="$work/site"
mkdir -p "$site/files/docs"
printf 'hello from disk' > "$site/files/hello.txt"
printf 'do not read me' > "$site/secret.txt"
ln -s ../secret.txt "$site/files/out-link"
ln -s hello.txt "$site/files/in-link"

# manifest NAME MODE: a manifest in $site granting files/ in MODE.
manifest() {
    cat > "$site/$1.toml" << EOF
name = "$1"
version = "0.1.0"
package = "$THEATER_BINARY_DIR/tests/actors/cap_fs.wasm"

[[handlers]]
type = "message-server"

[[handlers]]
type = "filesystem"
config = { path = "files", mode = "$2" }
EOF
    echo "$site/$1.toml"
}

rw="$(manifest fs-rw rw)"
ro="$(manifest fs-ro ro)"
long="$(printf 'a%.0s' $(seq 10000))"

# Run from / : the root is found beside the manifest, not in the cwd.
cd /
run_theater run "$rw" --data "$data" --json \
    --request '{"op":"read","path":"hello.txt"}' \
    --request '{"op":"read","path":"in-link"}' \
    --request '{"op":"mkdir","path":"made"}' \
    --request '{"op":"write","path":"made/new.txt","data":"written"}' \
    --request '{"op":"read","path":"made/new.txt"}' \
    --request '{"op":"list","path":""}' \
    --request '{"op":"exists","path":"made/new.txt"}' \
    --request '{"op":"exists","path":"nothing"}' \
    --request '{"op":"rmdir","path":"made"}' \
    --request '{"op":"delete","path":"made/new.txt"}' \
    --request '{"op":"rmdir","path":"made"}' \
    --request '{"op":"read","path":"../secret.txt"}' \
    --request '{"op":"read","path":"docs/../../secret.txt"}' \
    --request '{"op":"read","path":"/etc/passwd"}' \
    --request '{"op":"read","path":"out-link"}' \
    --request '{"op":"write","path":"../planted","data":"x"}' \
    --request "{\"op\":\"read\",\"path\":\"$long\"}" \
    --request "{\"op\":\"write\",\"path\":\"${long:0:256}\",\"data\":\"x\"}"
expect_eq "run exit" "$status" 0
[[ $status -eq 0 ]] || echo "$err" >&2
id="$(jq -r .actor.id <<< "$out")"
r() { jq -r ".responses[$1]" <<< "$out"; }
expect_eq "read" "$(r 0)" "ok:hello from disk"
expect_eq "read through a link inside" "$(r 1)" "ok:hello from disk"
expect_eq "mkdir" "$(r 2)" "ok"
expect_eq "write" "$(r 3)" "ok"
expect_eq "read back" "$(r 4)" "ok:written"
expect_eq "list, sorted" "$(r 5)" "ok:docs,hello.txt,in-link,made,out-link"
expect_eq "exists" "$(r 6)" "ok:true"
expect_eq "does not exist" "$(r 7)" "ok:false"
expect_eq "rmdir of a full directory" "$(r 8)" \
    "err:delete-dir 'made': the directory is not empty (delete-dir removes empty directories only)"
expect_eq "delete" "$(r 9)" "ok"
expect_eq "rmdir" "$(r 10)" "ok"
expect_eq "dot dot" "$(r 11)" \
    "err:read-file '../secret.txt': the path leads outside the filesystem root"
expect_contains "dot dot below" "$(r 12)" "the path leads outside the filesystem root"
expect_contains "absolute" "$(r 13)" "absolute paths are refused"
expect_contains "link out" "$(r 14)" "the path leads outside the filesystem root"
expect_contains "write out" "$(r 15)" "outside the filesystem root"
expect_contains "10,000 characters" "$(r 16)" "the path is 10000 bytes long, more than 4095"
expect_contains "a 256-byte name" "$(r 17)" "a name in the path is 256 bytes long, more than 255"
expect_eq "nothing planted" "$(ls "$site")" "files
fs-ro.toml
fs-rw.toml
secret.txt"
expect_eq "secret untouched" "$(cat "$site/secret.txt")" "do not read me"

# Read-only: every change refused, reads still served.
run_theater run "$ro" --data "$data" \
    --request '{"op":"write","path":"hello.txt","data":"changed"}' \
    --request '{"op":"delete","path":"hello.txt"}' \
    --request '{"op":"mkdir","path":"x"}' \
    --request '{"op":"read","path":"hello.txt"}' --json
expect_eq "ro write" "$(jq -r '.responses[0]' <<< "$out")" \
    "err:write-file 'hello.txt': the filesystem is granted read-only (mode = \"ro\")"
expect_contains "ro delete" "$(jq -r '.responses[1]' <<< "$out")" "read-only"
expect_contains "ro mkdir" "$(jq -r '.responses[2]' <<< "$out")" "read-only"
expect_eq "ro read" "$(jq -r '.responses[3]' <<< "$out")" "ok:hello from disk"
expect_eq "ro left the file" "$(cat "$site/files/hello.txt")" "hello from disk"
ro_id="$(jq -r .actor.id <<< "$out")"

# Replay answers from the chain: the directory can be gone.
rm -rf "$site/files"
run_theater replay "$id" --data "$data"
expect_eq "replay exit" "$status" 0
expect_contains "replay identical" "$out" "events: identical"
run_theater replay "$ro_id" --data "$data"
expect_contains "ro replay identical" "$out" "events: identical"
expect_eq "replay created nothing" "$(ls "$site")" "fs-ro.toml
fs-rw.toml
secret.txt"

run_theater chain verify --all --data "$data"
expect_eq "chains verify" "$status" 0

finish
