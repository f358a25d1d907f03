#!/usr/bin/env bash
# Checks schemas/examples/manifest.toml against reality:
#  1. every bare example whose official_xsd / project_xsd is not "n/a" gets the recorded
#     xmllint result with the official and the project PRMM_IN010043NL schema;
#  2. the manifest invariants hold (official invalid => project invalid; any xsd invalid =>
#     verdict != accept; accept => both valid or n/a; project valid with a non-accept
#     verdict => a "# project XSD cannot express:" comment on the entry);
#  3. every file under examples/valid and examples/invalid has exactly one entry, and every
#     entry's file exists; valid/ holds only accept, invalid/ never accept;
#  4. the reference message and every valid example (SOAP bodies extracted) validate
#     against both PRMM schemas; the reference acknowledgements validate against the
#     official and the project MCCI_IN000002 schema.
# Prints one "MISMATCH ..." line per disagreement and exits 1 if there is any.
#
# Usage: schemas/check-manifest.sh   (from anywhere; needs xmllint from libxml2-utils)
# The official schemas are looked up in $LOTGATE_REFERENCE or ../shared/reference
# beside the repository.

set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ex="$here/examples"
manifest="$ex/manifest.toml"
ref="${LOTGATE_REFERENCE:-$here/../../shared/reference}"
official="$ref/nictiz-hl7v3/hl7v3_schemas/PRMM_IN010043NL.xsd"
official_mcci="$ref/nictiz-hl7v3/hl7v3_schemas/MCCI_IN000002.xsd"
project="$here/lotgate-PRMM_IN010043NL.xsd"
project_mcci="$here/lotgate-MCCI_IN000002.xsd"

command -v xmllint >/dev/null || { echo "xmllint not found (apt-get install libxml2-utils)" >&2; exit 2; }
for f in "$official" "$official_mcci" "$project" "$project_mcci" "$manifest"; do
  [ -f "$f" ] || { echo "missing: $f" >&2; exit 2; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

mismatches=0
checked=0
mismatch() { echo "MISMATCH $*"; mismatches=$((mismatches + 1)); }

# xmllint result for one document and schema: valid | invalid.
xsd_result() {
  if xmllint --noout --nonet --schema "$1" "$2" >/dev/null 2>&1; then echo valid; else echo invalid; fi
}

# --- parse the manifest into lines: file|verdict|official|project|has_note -----------------
awk '
  function flush() { if (file != "") print file "|" verdict "|" off "|" proj "|" note; file=""; verdict=""; off=""; proj=""; note=0 }
  function val(line) { sub(/^[^=]*= *"/, "", line); sub(/".*$/, "", line); return line }
  /^\[\[example\]\]/ { flush(); next }
  /^file *=/         { file = val($0) }
  /^verdict *=/      { verdict = val($0) }
  /^official_xsd *=/ { off = val($0) }
  /^project_xsd *=/  { proj = val($0) }
  /# project XSD cannot express:/ { note = 1 }
  END { flush() }
' "$manifest" > "$tmp/entries"

declare -A listed=()
while IFS='|' read -r file verdict off proj note; do
  path="$ex/$file"
  if [ -n "${listed[$file]:-}" ]; then mismatch "$file: listed twice in the manifest"; fi
  listed[$file]=1
  if [ ! -f "$path" ]; then mismatch "$file: listed in the manifest but missing"; continue; fi
  case "$verdict" in accept|CE|CR|fault|unusable) ;; *) mismatch "$file: unknown verdict '$verdict'";; esac
  for v in "$off" "$proj"; do
    case "$v" in valid|invalid|n/a) ;; *) mismatch "$file: unknown xsd result '$v'";; esac
  done
  case "$file" in
    valid/*)   [ "$verdict" = accept ] || mismatch "$file: under valid/ but verdict is $verdict";;
    invalid/*) [ "$verdict" != accept ] || mismatch "$file: under invalid/ but verdict is accept";;
  esac
  # invariants
  [ "$off" = invalid ] && [ "$proj" != invalid ] && mismatch "$file: official_xsd invalid but project_xsd $proj"
  { [ "$off" = invalid ] || [ "$proj" = invalid ]; } && [ "$verdict" = accept ] && mismatch "$file: an xsd says invalid but verdict is accept"
  if [ "$verdict" != accept ] && [ "$proj" = valid ] && [ "$note" != 1 ]; then
    mismatch "$file: project_xsd valid for verdict $verdict without a '# project XSD cannot express:' comment"
  fi
  if { [ "$off" = n/a ] && [ "$proj" != n/a ]; } || { [ "$off" != n/a ] && [ "$proj" = n/a ]; }; then
    mismatch "$file: official_xsd and project_xsd must both be n/a or neither"
  fi
  # xmllint
  if [ "$off" != n/a ]; then
    got="$(xsd_result "$official" "$path")"
    [ "$got" = "$off" ] || mismatch "$file: official_xsd recorded $off, xmllint says $got"
    got="$(xsd_result "$project" "$path")"
    [ "$got" = "$proj" ] || mismatch "$file: project_xsd recorded $proj, xmllint says $got"
    checked=$((checked + 1))
  fi
done < "$tmp/entries"

# --- every file has an entry ---------------------------------------------------------------
while IFS= read -r -d '' f; do
  rel="${f#"$ex"/}"
  [ -n "${listed[$rel]:-}" ] || mismatch "$rel: file has no manifest entry"
done < <(find "$ex/valid" "$ex/invalid" -type f -print0 | sort -z)

# --- reference and valid examples against both schemas ---------------------------------------
both() { # label file
  for s in "$official" "$project"; do
    [ "$(xsd_result "$s" "$2")" = valid ] || mismatch "$1: not valid against $(basename "$s") ($(dirname "$s" | xargs basename))"
  done
}
both "reference PRMM_IN010043NL-4-lots.xml" "$ref/examples/PRMM_IN010043NL-4-lots.xml"
n=0
for f in "$ex"/valid/*; do
  rel="${f#"$ex"/}"
  if grep -q 'schemas.xmlsoap.org/soap/envelope/' "$f"; then
    # The HL7 document is the single element in soap:Body.
    body="$tmp/body-$n.xml"; n=$((n + 1))
    if ! xmllint --nonet --xpath '/*[local-name()="Envelope"]/*[local-name()="Body"]/*' "$f" > "$body" 2>/dev/null; then
      mismatch "$rel: cannot extract the SOAP body"; continue
    fi
    both "$rel (SOAP body)" "$body"
  else
    both "$rel" "$f"
  fi
done

# --- reference acknowledgements against the MCCI schemas -------------------------------------
for f in "$ref"/examples/MCCI_IN000002-*.xml; do
  for s in "$official_mcci" "$project_mcci"; do
    [ "$(xsd_result "$s" "$f")" = valid ] || mismatch "reference $(basename "$f"): not valid against $s"
  done
done

entries=$(wc -l < "$tmp/entries")
if [ "$mismatches" -eq 0 ]; then
  echo "OK: $entries manifest entries, $checked bare documents checked with both schemas, valid examples and reference acknowledgements validate"
  exit 0
fi
echo "$mismatches mismatch(es) in $entries manifest entries"
exit 1
