#!/usr/bin/env bash
# Spark 4 needs Java 17 or newer; say so plainly instead of letting the JVM gateway die later.
set -euo pipefail
if ! command -v java >/dev/null 2>&1; then
  echo "lakeport set-up: Java not found. Spark 4 needs Java 17+ (Debian: apt-get install openjdk-17-jre-headless), or set JAVA_HOME." >&2
  exit 1
fi
ver=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ -z "$ver" ] || [ "$ver" -lt 17 ]; then
  echo "lakeport set-up: Java ${ver:-unknown} found; Spark 4 needs Java 17 or newer. Install it or point JAVA_HOME at one." >&2
  exit 1
fi
