# Sourced by ./mvnw, ./ingot and .ci/run: points JAVA_HOME at a JDK 25 or newer.
# Order: JAVA_HOME when it is 25+, else the newest 25+ JDK in the system's JVM folder.

ingot_jdk_major() {
  # Prints the feature release of the JDK at $1 (0 when it is not a JDK).
  local home=$1 version=""
  [ -x "$home/bin/javac" ] || { echo 0; return; }
  if [ -f "$home/release" ]; then
    version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
  fi
  [ -n "$version" ] || version=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  version=${version#1.}
  echo "${version%%[.+-]*}" | grep -E '^[0-9]+$' || echo 0
}

ingot_find_jdk() {
  local jvm_dir=${INGOT_JVM_DIR:-/usr/lib/jvm} best="" best_major=0 candidate major
  if [ -n "${JAVA_HOME:-}" ] && [ "$(ingot_jdk_major "$JAVA_HOME")" -ge 25 ]; then
    return 0
  fi
  for candidate in "$jvm_dir"/*; do
    [ -d "$candidate" ] && [ ! -L "$candidate" ] || continue
    major=$(ingot_jdk_major "$candidate")
    if [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "ingot needs a JDK 25 or newer: install one into $jvm_dir or set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME=$best
}
