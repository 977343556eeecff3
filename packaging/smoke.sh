#!/usr/bin/env bash
# Install Dossier's .deb, use the installed program as an analyst would, and remove it.
#   bash packaging/smoke.sh dist/dossier_VERSION_ARCH.deb ../shared/corpus
# Run as root (or with sudo). Installs what the package depends on with apt-get first, then
# the package with dpkg -i; runs the installed `dossier --version`, an import of the corpus
# (articles and both analysts' tags), `stats`, two exports, and the window offscreen for a few
# seconds, which must stay up and print nothing on stderr, and every other command once;
# then removes the package and checks that nothing of it is left. Exits non-zero, saying what failed, at the first fault.
set -euo pipefail
deb=$(realpath "$1")
corpus=$(realpath "$2")
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "smoke: $*" >&2; exit 1; }

# --- install: the package's dependencies from Debian's archive, then the package ----------
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/(.*)//' -e 's/ //g' | grep -v '^$')
missing=()
for package in $depends; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== smoke: installing the package's dependencies: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
as_root dpkg -i "$deb"
trap 'as_root dpkg -r dossier >/dev/null 2>&1 || true' EXIT

[ "$(command -v dossier)" = /usr/bin/dossier ] || fail "dossier on PATH is $(command -v dossier), not /usr/bin/dossier"
for path in /usr/share/applications/dossier.desktop \
            /usr/share/icons/hicolor/scalable/apps/dossier.svg \
            /usr/share/icons/hicolor/48x48/apps/dossier.png \
            /usr/share/metainfo/org.dossierapp.Dossier.metainfo.xml; do
  [ -f "$path" ] || fail "$path is not installed"
done

# --- use it, in a home of its own (settings, default project, log) -------------------------
work=$(mktemp -d /tmp/dossier-smoke.XXXXXX)
export DOSSIER_HOME=$work/home
project=$work/project.db
version=$(dossier --version)
expected="dossier $(dpkg-deb -f "$deb" Version)"
[ "$version" = "$expected" ] || fail "dossier --version printed '$version', not '$expected'"
echo "== smoke: $version"

dossier --db "$project" import "$corpus"
stats=$(dossier --db "$project" stats --json)
python3 - "$stats" <<'PY'
import json, sys
stats = json.loads(sys.argv[1])
# The corpus: five articles, two of them tagged by analyst A (37 spans) and B (27).
assert stats["documents"] == 5, stats
assert stats["per_annotator"] == {"analyst_a": 37, "analyst_b": 27}, stats
print(f"== smoke: stats: {stats['documents']} documents, {stats['spans']} spans")
PY

dossier --db "$project" export --format spacy -o "$work/a.spacy" --annotator analyst_a
dossier --db "$project" export --format labelstudio -o "$work/a.labelstudio.json" --annotator analyst_a
[ -s "$work/a.spacy" ] || fail "the spaCy export is empty"
python3 -c "import json,sys; tasks=json.load(open(sys.argv[1])); assert len(tasks) == 5, len(tasks)" \
  "$work/a.labelstudio.json" || fail "the Label Studio export does not hold the 5 articles"

# --- every other command: lists, search, history, agreement, actors, suggestions, spaCy's
# trainer and a trained model, and the team commands' answer on SQLite ----------------------
run() { "$@" >"$work/out.txt" 2>"$work/err.txt" || fail "$* failed: $(cat "$work/err.txt")"; }
run dossier --db "$project" documents
grep -q "Repeated US strikes" "$work/out.txt" || fail "documents does not list the first article"
run dossier --db "$project" search Iran --json
[ "$(wc -l <"$work/out.txt")" -gt 10 ] || fail "search found too few hits of Iran"
run dossier --db "$project" history --json
grep -q '"kind": "span"' "$work/out.txt" || fail "history holds no span"
run dossier --db "$project" agreement analyst_a analyst_b
grep -q "agreement of analyst_a, analyst_b" "$work/out.txt" || fail "agreement: $(cat "$work/out.txt")"
run dossier --db "$project" actors --suggest --json
run dossier --db "$project" suggest --annotator rules
grep -q "suggestion(s) added" "$work/out.txt" || fail "suggest: $(cat "$work/out.txt")"
run dossier --db "$project" train -o "$work/model" --epochs 2 --annotator analyst_a
[ -f "$work/model/config.cfg" ] || fail "train wrote no spaCy pipeline"
run dossier --db "$project" suggest --model "$work/model" --annotator model
if dossier --db "$project" team list 2>"$work/err.txt"; then fail "team list on SQLite succeeded"; fi
grep -q "a team needs a PostgreSQL project" "$work/err.txt" || fail "team list: $(cat "$work/err.txt")"
echo "== smoke: documents, search, history, agreement, actors, suggest, train, team: all ran"

# --- the window, offscreen: it must paint, stay up and print nothing on stderr -------------
shown=$(QT_QPA_PLATFORM=offscreen DOSSIER_QUIT_WHEN_SHOWN=1 timeout 60 dossier --db "$project" 2>"$work/shown.err")
grep -q "first paint" <<<"$shown" || fail "the window did not paint: $shown $(cat "$work/shown.err")"
[ ! -s "$work/shown.err" ] || fail "the window printed on stderr: $(cat "$work/shown.err")"
QT_QPA_PLATFORM=offscreen dossier --db "$project" 2>"$work/window.err" &
window=$!
sleep 5
kill -0 "$window" 2>/dev/null || { wait "$window" || true; fail "the window did not stay up: $(cat "$work/window.err")"; }
kill "$window"; wait "$window" 2>/dev/null || true
[ ! -s "$work/window.err" ] || fail "the window printed on stderr: $(cat "$work/window.err")"
echo "== smoke: the window painted and stayed up 5 s, nothing on stderr"

# --- remove: nothing of the package is left -----------------------------------------------
trap - EXIT
as_root dpkg -r dossier
for path in /opt/dossier /usr/bin/dossier /usr/share/applications/dossier.desktop \
            /usr/share/metainfo/org.dossierapp.Dossier.metainfo.xml \
            /usr/share/icons/hicolor/48x48/apps/dossier.png; do
  [ ! -e "$path" ] && [ ! -L "$path" ] || fail "$path is left after dpkg -r"
done
rm -rf "$work"
echo "== smoke: installed, used and removed cleanly"
