#!/usr/bin/env node
// A committed entry point, so package managers can link `loom` before the first build.
import "../dist/bin.js";
