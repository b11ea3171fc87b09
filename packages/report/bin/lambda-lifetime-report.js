#!/usr/bin/env node
import { runReportCli } from '../lib/index.js'

process.exitCode = await runReportCli(process.argv.slice(2))
