#!/bin/sh
# tests/e2e/t0507-anonymize-keys.sh: `bpass anonymize` publishes nothing that
# maps clear names to anonymized ones: the output folder holds no clear node
# id or tarball name (its record of what is done holds digests only); the
# clear-to-anonymized manifest is opt-in (--manifest FILE) and refused inside
# the output folder; a manifest left there by an earlier version is moved
# out. The keyed mode (--key FILE, HMAC-SHA256) gives the reference HMAC of
# the node id (openssl or python3), the same copies for one key and other
# names for another key; the key file is refused inside the output folder,
# and one output folder never mixes md5 and keyed copies.
. "$TOP/tests/e2e/lib.sh"

NODE=OWC43DC78EE081
MD5=$(printf %s "$NODE" | md5sum | cut -d' ' -f1)
SIG=0123456789abcdef0123456789abcdef01234567
TAR=${NODE}_2012-05-15_18-00-00.tar
mkdir -p "$T/src" "$T/m"
printf '5\nUNKNOWN\n%s 1337104800512345 0 1337104830\n\n\n%s\n\n0 0\n\n1337104830 0 0 0\n\n0 0\n\n\n0 256\n\n\n' \
	"$NODE" "$SIG" | gzip -n >"$T/m/$NODE-1337104800512345-0.gz"
(cd "$T/m" && tar -cf "$T/src/$TAR" -- *.gz)

# hmac_hex KEYFILE TEXT: the reference HMAC-SHA256 (key: the file's bytes
# without one trailing newline).
hmac_hex() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import hmac, hashlib, sys
k = open(sys.argv[1], "rb").read()
k = k[:-2] if k.endswith(b"\r\n") else k[:-1] if k.endswith(b"\n") else k
print(hmac.new(k, sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$1" "$2"
	else
		printf %s "$2" | openssl dgst -sha256 -hmac "$(cat "$1")" | sed 's/.*= //'
	fi
}
# clear_in DIR: the files of DIR (hidden ones too) holding a clear name.
clear_in() {
	grep -rl -e "$NODE" "$1"
	ls -A "$1" | grep -e "$NODE"
}

# ---- md5 (the compatible default): nothing clear in the output folder ----
check "md5: anonymize runs" "$BPASS" anonymize "$T/src" "$T/dst"
check_eq "md5: one copy, named by md5" "$(ls "$T/dst" | grep -c "^${MD5}_2012-05-15_18-00-00_[0-9a-f]*\.tar$")" "1"
check_eq "md5: no file of the output folder holds a clear node id or tarball name" \
	"$(clear_in "$T/dst")" ""
"$BPASS" anonymize "$T/src" "$T/dst" >"$T/again" 2>&1
check_grep "md5: a second run still skips the copied tarball" "1 already done" "$T/again"

# ---- the opt-in manifest ----
check "manifest: --manifest FILE outside the output folder" \
	"$BPASS" anonymize --manifest "$T/private/manifest.tsv" "$T/src" "$T/dst2"
check_eq "manifest: it maps the clear name to the copy" "$(cat "$T/private/manifest.tsv")" \
	"$(printf '%s\t%s' "$TAR" "$(ls "$T/dst2")")"
check_eq "manifest: still nothing clear in the output folder" "$(clear_in "$T/dst2")" ""
check_status "manifest: refused inside the output folder" 2 \
	"$BPASS" anonymize --manifest "$T/dst3/manifest.tsv" "$T/src" "$T/dst3"
check_grep "manifest: says why" "cannot write the manifest .* inside the output folder" "$T/.out"
mkdir -p "$T/dst3/sub"
check_status "manifest: refused in a folder inside the output folder" 2 \
	"$BPASS" anonymize --manifest "$T/dst3/sub/../sub/m.tsv" "$T/src" "$T/dst3"
check_eq "manifest: nothing written when refused" "$(ls -A "$T/dst3")" "sub"

# A manifest left in the output folder by an earlier version is moved out.
mkdir -p "$T/old"
cp "$T/dst/"*.tar "$T/old/"
printf '%s\t%s\n' "$TAR" "$(ls "$T/old")" >"$T/old/.anonymize-manifest"
"$BPASS" anonymize --manifest "$T/old.tsv" "$T/src" "$T/old" >"$T/out1" 2>&1
check_eq "old manifest: exit 0" "$?" "0"
check_eq "old manifest: gone from the output folder" "$(clear_in "$T/old")" ""
check_grep "old manifest: its lines are in --manifest" "^$TAR	" "$T/old.tsv"
check_grep "old manifest: said so" "moved the entries of .*\.anonymize-manifest" "$T/out1"
check_grep "old manifest: its tarball counts as done" "1 already done" "$T/out1"

# ---- keyed: HMAC-SHA256 ----
printf 'correct horse battery staple\n' >"$T/key1"
printf 'another secret key, also long\n' >"$T/key2"
chmod 600 "$T/key1" "$T/key2"
H1=$(hmac_hex "$T/key1" "$NODE")
H2=$(hmac_hex "$T/key2" "$NODE")
check_eq "hmac: reference values are 64 hex digits" "${#H1}${#H2}" "6464"
check "hmac: anonymize --key runs" "$BPASS" anonymize --key "$T/key1" "$T/src" "$T/k1"
out=$(ls "$T/k1")
check_eq "hmac: the copy is named by the reference HMAC" \
	"$(echo "$out" | grep -c "^${H1}_2012-05-15_18-00-00_[0-9a-f]\{32\}\.tar$")" "1"
mkdir -p "$T/x"
tar -xf "$T/k1/$out" -C "$T/x"
check_eq "hmac: the member is named by it" "$(ls "$T/x")" "$H1-1337104800512345-0.gz"
check_eq "hmac: intro line 3 carries it" "$(gunzip -c "$T/x/$H1-1337104800512345-0.gz" | sed -n 3p)" \
	"$H1 1337104800512345 0 1337104830"
check_eq "hmac: nothing clear in the output folder" "$(clear_in "$T/k1")" ""
check "hmac: same key, other folder" "$BPASS" anonymize --key "$T/key1" "$T/src" "$T/k1b"
check "hmac: deterministic for one key (same name, same bytes)" cmp "$T/k1/$out" "$T/k1b/$out"
check "hmac: another key" "$BPASS" anonymize --key "$T/key2" "$T/src" "$T/k2"
check_eq "hmac: another key gives another name" \
	"$(ls "$T/k2" | grep -c "^${H2}_2012-05-15_18-00-00_")" "1"
check "hmac: the keyed copies index" "$BPASS" index "$T/k1" "$T/k1.sqlite"
check_eq "hmac: indexed under the HMAC" "$("$BPASS" sessions "$T/k1.sqlite" --csv | tail -1 | cut -d, -f1)" "$H1"

check_status "hmac: a key file inside the output folder is refused" 2 \
	"$BPASS" anonymize --key "$T/k1/key" "$T/src" "$T/k1"
printf 'short\n' >"$T/short"
check_status "hmac: a key shorter than 16 bytes is refused" 2 \
	"$BPASS" anonymize --key "$T/short" "$T/src" "$T/k3"
check_status "hmac: a missing key file fails" 1 \
	"$BPASS" anonymize --key "$T/nonexistent" "$T/src" "$T/k3"
check_status "mixing: md5 copies into a keyed folder are refused" 1 \
	"$BPASS" anonymize "$T/src" "$T/k1"
check_grep "mixing: says why" "holds copies made with another node id hash" "$T/.out"
check_status "mixing: another key into a keyed folder is refused" 1 \
	"$BPASS" anonymize --key "$T/key2" "$T/src" "$T/k1"
check_eq "mixing: nothing added" "$(ls "$T/k1")" "$out"
done_testing
