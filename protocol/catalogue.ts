/**
 * The measurement catalogue: the one declaration of every measurement that crosses a boundary.
 * Agent checks record typed samples from it, the collector validates against it, dashboards build
 * queries from it and each check's README lists it (a test keeps them in step).
 *
 * Rules (README, "The measurement contract"): snake_case names; numeric fields carry their unit in
 * the name; booleans that dashboards average are integers 0/1; a field's type never changes once
 * written.
 */

export type FieldType = 'float' | 'integer' | 'string';

/**
 * `bool` is an integer 0/1 so `mean()` gives a ratio; `count`, `code`, `score` and `text` have no suffix;
 * `bps` (bits per second) ends in `_bps`, `per_second` (events per second) in `_per_s`.
 */
export type Unit = 'ms' | 'seconds' | 'days' | 'bytes' | 'percent' | 'bool' | 'count' | 'code' | 'score' | 'text' | 'bps' | 'per_second';

export interface FieldSpec {
  readonly type: FieldType;
  readonly unit: Unit;
  /** Absent when the probe could not measure it (e.g. RTT of a target that did not answer). */
  readonly optional?: boolean;
  readonly doc: string;
}

export type TagPresence = 'required' | 'optional';

export interface MeasurementSpec {
  readonly doc: string;
  /** Which check or component writes it: used by READMEs and dashboards. */
  readonly source: string;
  /** Who writes it. Agents may only send `agent` measurements; `collector` ones come from the collector itself. */
  readonly origin?: 'agent' | 'collector';
  readonly tags: Readonly<Record<string, TagPresence>>;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /**
   * Bounded fields that an alert about this measurement carries as labels, so its mail can quote them
   * (`{{url}}`, `{{evidence}}`, numbers as text); never tags in InfluxDB, and part of an alert's identity
   * only when a rule names them in its keyTags (one alert per attacking source).
   */
  readonly alertFields?: readonly string[];
}

// Generic in `optional` so the literal true/false survives into the catalogue's type: FieldsOf uses it.
const float = <O extends boolean = false>(unit: Unit, doc: string, optional?: O) => ({ type: 'float' as const, unit, doc, optional: (optional ?? false) as O });
const int = <O extends boolean = false>(unit: Unit, doc: string, optional?: O) => ({ type: 'integer' as const, unit, doc, optional: (optional ?? false) as O });
const bool = <O extends boolean = false>(doc: string, optional?: O) => ({ type: 'integer' as const, unit: 'bool' as const, doc, optional: (optional ?? false) as O });
const str = <O extends boolean = false>(doc: string, optional?: O) => ({ type: 'string' as const, unit: 'text' as const, doc, optional: (optional ?? false) as O });

const measurement = <const T extends MeasurementSpec>(spec: T): T => spec;

export const catalogue = {
  host: measurement({
    doc: 'Health of the host the agent runs on.',
    source: 'host',
    tags: { host: 'required' },
    fields: {
      cpu_percent: float('percent', 'CPU busy over the last interval'),
      mem_used_percent: float('percent', 'Memory in use (excluding caches)'),
      mem_total_bytes: int('bytes', 'Installed memory'),
      load1: float('count', 'One-minute load average (0 on Windows)'),
      uptime_seconds: int('seconds', 'Seconds since boot'),
    },
  }),
  host_disk: measurement({
    doc: 'One mounted file system of the host.',
    source: 'host',
    tags: { host: 'required', mount: 'required' },
    fields: {
      used_percent: float('percent', 'Share of the file system in use'),
      free_bytes: int('bytes', 'Bytes available'),
      total_bytes: int('bytes', 'Size of the file system'),
    },
  }),
  ping: measurement({
    doc: 'ICMP echo burst to one target.',
    source: 'ping',
    tags: { target: 'required', name: 'optional', group: 'optional', result: 'required' },
    fields: {
      up: bool('1 when at least one reply came back'),
      sent: int('count', 'Echo requests sent'),
      received: int('count', 'Echo replies received'),
      loss_percent: float('percent', 'Packets lost'),
      rtt_min_ms: float('ms', 'Fastest round trip', true),
      rtt_avg_ms: float('ms', 'Mean round trip', true),
      rtt_max_ms: float('ms', 'Slowest round trip', true),
      jitter_ms: float('ms', 'Mean absolute difference of consecutive round trips', true),
    },
  }),
  tcp: measurement({
    doc: 'TCP connect to one host:port.',
    source: 'tcp',
    tags: { target: 'required', port: 'required', name: 'optional', group: 'optional', result: 'required' },
    fields: {
      up: bool('1 when the connection was accepted'),
      connect_ms: float('ms', 'Time to establish the connection', true),
    },
  }),
  http: measurement({
    doc: 'HTTP(S) GET of one URL.',
    source: 'http',
    tags: { url: 'required', name: 'optional', group: 'optional', result: 'required' },
    fields: {
      up: bool('1 when the status code was the expected one'),
      status_code: int('code', 'HTTP status code', true),
      response_ms: float('ms', 'Time until the whole response was read', true),
      content_bytes: int('bytes', 'Body size', true),
    },
  }),
  dns: measurement({
    doc: 'One DNS query (a name and a record type) to one server.',
    source: 'dns',
    tags: { server: 'required', query: 'required', type: 'required', name: 'optional', group: 'optional', result: 'required' },
    fields: {
      up: bool('1 when the server answered NOERROR with at least one record of the type asked (a mismatch included)'),
      rtt_ms: float('ms', 'Time from the query to the complete answer (over TCP too when the UDP answer was truncated)', true),
      rcode: int('code', 'Response code: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED (absent without an answer)', true),
      answers: int('count', 'Records of the type asked in the answer', true),
      mismatch: bool('1 when the answers differ from the expected ones (absent when none are expected)', true),
      ad: bool('1 when the resolver set the AD flag: it validated the answer with DNSSEC', true),
      truncated: bool('1 when the UDP answer was truncated and the query was asked again over TCP', true),
      answer_text: str('The answers of the type asked, sorted, separated by " | " (at most 1000 characters)', true),
      soa_serial: int('count', 'Serial of the SOA record (SOA queries)', true),
      error: str('Why there is no usable answer (absent when there is one)', true),
    },
  }),
  tls_cert: measurement({
    doc: 'Certificate presented by a TLS endpoint.',
    source: 'tls',
    tags: {
      target: 'required',
      name: 'optional',
      group: 'optional',
      sni: 'optional',
      starttls: 'optional',
      subject_cn: 'optional',
      issuer_cn: 'optional',
      result: 'required',
    },
    fields: {
      up: bool('1 when the TLS handshake completed'),
      days_left: float('days', 'Days until the leaf expires (negative once expired)', true),
      not_after_seconds: int('seconds', 'Earliest expiry in the chain, Unix seconds', true),
      expired: bool('1 when any certificate sent has expired', true),
      chain_valid: bool('1 when the chain verifies against the trusted roots', true),
      hostname_match: bool('1 when the leaf is valid for the host name', true),
      self_signed: bool('1 when the leaf is self-signed', true),
      legacy_tls: bool('1 when the server accepts TLS 1.0 or 1.1', true),
      leaf_not_after_seconds: int('seconds', 'Expiry of the leaf, Unix seconds', true),
      earliest_days_left: float('days', 'Days until the first certificate sent expires (negative once expired)', true),
      weak_key: bool('1 when a certificate sent has a weak key (RSA or DSA under 2048 bits, EC under 224 bits)', true),
      weak_signature: bool('1 when the leaf or an intermediate is signed with SHA-1, MD5 or MD2', true),
      key_bits: int('count', 'Size of the leaf public key in bits', true),
      chain_certs: int('count', 'Certificates the server sent', true),
      handshake_ms: float('ms', 'Time of the TLS handshake (after TCP connect and STARTTLS)', true),
      tls_version: str('Negotiated protocol, e.g. TLSv1.3', true),
      serial: str('Serial number of the leaf, hexadecimal', true),
      sans: str('Subject alternative names of the leaf, comma separated', true),
      key_type: str('Leaf key type: rsa, ec, ed25519, ed448, dsa', true),
      signature_algorithm: str('Signature algorithm of the leaf, e.g. sha256WithRSAEncryption', true),
      error: str('Why the probe failed (absent when it did not)', true),
    },
  }),
  cert_file: measurement({
    doc: 'A certificate read from a file or certificate store.',
    source: 'cert_file',
    tags: { path: 'required', subject_cn: 'optional', issuer_cn: 'optional', serial: 'optional', result: 'optional' },
    fields: {
      days_left: float('days', 'Days until expiry (negative once expired)', true),
      not_after_seconds: int('seconds', 'Expiry, Unix seconds', true),
      expired: bool('1 when the certificate has expired', true),
      self_signed: bool('1 when the certificate is self-signed', true),
      weak_key: bool('1 when the key is weak (RSA or DSA under 2048 bits, EC under 224 bits)', true),
      weak_signature: bool('1 when it is signed with SHA-1, MD5 or MD2 (self-signed roots excepted)', true),
      key_bits: int('count', 'Size of the public key in bits', true),
      key_type: str('Key type: rsa, ec, ed25519, ed448, dsa', true),
      signature_algorithm: str('Signature algorithm, e.g. sha256WithRSAEncryption', true),
      sans: str('Subject alternative names, comma separated', true),
      error: str('Why the file could not be read, e.g. wrong PKCS#12 password', true),
    },
  }),
  lan_summary: measurement({
    doc: 'Devices found on one subnet in one discovery cycle.',
    source: 'discovery',
    tags: { subnet: 'required' },
    fields: {
      devices: int('count', 'Devices found (the scanner excluded)'),
      new_devices: int('count', 'Devices never seen before on this subnet'),
      exposed_services: int('count', 'Open risky services found'),
    },
  }),
  lan_device: measurement({
    doc: 'One device found on the LAN.',
    source: 'discovery',
    tags: { subnet: 'required', mac: 'required' },
    fields: {
      up: bool('1 when the device answered in this cycle'),
      ip: str('IPv4 address'),
      vendor: str('Vendor from the IEEE OUI registry', true),
      hostname: str('Reverse-DNS name', true),
    },
  }),
  lan_exposure: measurement({
    doc: 'A risky service open on a LAN device.',
    source: 'discovery',
    tags: { ip: 'required', port: 'required', service: 'required' },
    fields: {
      open: bool('1 when the port accepted a connection'),
      risk: int('score', 'Risk weight of the service (1 low .. 4 critical)'),
    },
  }),
  security: measurement({
    doc: 'One host security check.',
    source: 'security',
    tags: { check_id: 'required', severity: 'required', status: 'optional' },
    fields: {
      pass: bool('1 when the check passed'),
      detail: str('What was found, or why the check could not run (English)', true),
      waiver_by: str('Who granted the waiver covering this failure', true),
      waiver_reason: str('Why the failure is waived', true),
      waiver_until: str('Last day of the waiver (YYYY-MM-DD)', true),
    },
  }),
  security_score: measurement({
    doc: 'Weighted security score of the host.',
    source: 'security',
    tags: {},
    fields: {
      score_percent: float('percent', 'Weighted share of passed checks'),
      passed: int('count', 'Checks passed'),
      failed: int('count', 'Checks failed'),
      errors: int('count', 'Checks that could not run (counted against the score)', true),
      waived: int('count', 'Failed checks covered by a waiver (left out of the score)', true),
      not_applicable: int('count', 'Checks that do not apply to this host (left out of the score)', true),
    },
  }),
  sip: measurement({
    doc: 'SIP OPTIONS to one endpoint.',
    source: 'videoconf',
    tags: { target: 'required', name: 'optional', result: 'required', endpoint: 'optional', transport: 'optional' },
    fields: {
      up: bool('1 when a SIP stack answered'),
      response_ms: float('ms', 'Time to the answer', true),
      status_code: int('code', 'SIP status code', true),
    },
  }),
  videoconf: measurement({
    doc: 'Readiness of one video-conference endpoint.',
    source: 'videoconf',
    tags: { endpoint: 'required', address: 'optional', group: 'optional' },
    fields: {
      ready: bool('1 when every component answers within thresholds'),
      mos: float('score', 'Estimated MOS (ITU-T G.107 E-model, simplified)', true),
      loss_percent: float('percent', 'Packet loss over the burst'),
      jitter_ms: float('ms', 'RFC 3550 interarrival jitter', true),
      rtt_ms: float('ms', 'Mean round trip', true),
      rtt_min_ms: float('ms', 'Fastest round trip of the burst', true),
      rtt_max_ms: float('ms', 'Slowest round trip of the burst', true),
      sent: int('count', 'Echo requests sent in the burst'),
      received: int('count', 'Echo replies received'),
      sip_up: bool('1 when every configured SIP transport answered', true),
      h323_up: bool('1 when the H.323 signalling port accepted a connection', true),
      h323_connect_ms: float('ms', 'Time to connect to the H.323 signalling port', true),
      https_up: bool('1 when the management interface answered with an expected status', true),
      https_response_ms: float('ms', 'Time to read the management page', true),
      cert_days_left: float('days', 'Days until the first certificate of the management page expires', true),
      snmp_up: bool('1 when SNMP answered', true),
      uptime_seconds: int('seconds', 'sysUpTime of the endpoint', true),
      rebooted: bool('1 when sysUpTime shows a restart since the previous run', true),
      sys_descr: str('sysDescr: the model and firmware', true),
      reason: str('Why the endpoint is not ready (empty when ready)', true),
    },
  }),
  web_integrity: measurement({
    doc: 'One crawl of one web site: what a browser, Googlebot and a visitor from a search engine were shown.',
    source: 'web_integrity',
    tags: { site: 'required', name: 'optional', group: 'optional', result: 'required' },
    fields: {
      up: bool('1 when the start page answered with HTML'),
      status_code: int('code', 'HTTP status of the start page (browser view)', true),
      pages_crawled: int('count', 'HTML pages fetched and judged (browser view)'),
      pages_skipped: int('count', 'URLs not judged: not HTML, refused by robots.txt, failed or over the byte ceiling'),
      pages_flagged: int('count', 'Pages with at least one finding'),
      spam_hits: int('count', 'Spam keyword occurrences in the visible text, title, description and link anchors of flagged pages'),
      hidden_spam_hits: int('count', 'Spam keyword occurrences in hidden content of flagged pages'),
      cloaked_pages: int('count', 'Pages shown differently to Googlebot or to a visitor from a search engine'),
      offsite_redirects: int('count', 'Pages that redirect to another registrable domain'),
      new_script_domains: int('count', 'Script and iframe domains not in the baseline'),
      new_sitemap_urls: int('count', 'Sitemap URLs not in the baseline'),
      defaced: bool('1 when the start page no longer looks like its baseline or carries a defacement marker'),
      home_similarity: float('score', 'Similarity of the start page to its baseline, 0 to 1 (absent on the baseline run)', true),
      crawl_ms: float('ms', 'Time the whole crawl took'),
      baseline: bool('1 when this run set the baseline (the first run of the site)', true),
      truncated: bool('1 when pages were left because of maxPages or the time budget', true),
      error: str('Why the site could not be crawled (absent when it could)', true),
    },
  }),
  web_finding: measurement({
    doc: 'One finding of a web_integrity crawl (count 0: a kind found before is gone).',
    source: 'web_integrity',
    tags: { site: 'required', kind: 'required', name: 'optional', group: 'optional' },
    fields: {
      url: str('The page the finding is about'),
      evidence: str('The matched phrase in its context, the redirect target or the new domain (at most 300 characters)'),
      count: int('count', 'Occurrences on that page (0 when the kind is no longer found on the site)'),
    },
    alertFields: ['url', 'evidence'],
  }),
  auth_summary: measurement({
    doc: 'One run of the auth_events check: authentication events read from the host logs since the last run.',
    source: 'auth_events',
    tags: { host: 'optional', result: 'required' },
    fields: {
      failures: int('count', 'Failed logins and authentications (sshd, PAM, sudo, su, Windows 4625) read in this run'),
      successes: int('count', 'Successful logins read in this run'),
      distinct_sources: int('count', 'Distinct source addresses with a failure in this run'),
      distinct_users: int('count', 'Distinct user names with a failure in this run'),
      events_read: int('count', 'Authentication events recognised in this run'),
      lines_read: int('count', 'Log lines or journal entries read in this run'),
      lockouts: int('count', 'Accounts locked out in this run (Windows 4740)'),
      accounts_created: int('count', 'Local accounts created in this run (useradd, Windows 4720)'),
      admin_grants: int('count', 'Accounts added to an administrators group in this run'),
      password_changes: int('count', 'Passwords changed in this run'),
      gap: bool('1 when events were lost before they could be read (a journal vacuumed or a rotated file gone past the cursor)'),
      lines_truncated: int('count', 'Lines longer than the line limit, cut before parsing'),
      sources_tracked: int('count', 'Sources held in the detection window after this run'),
      sources_dropped: int('count', 'Sources forgotten in this run because the state reached maxSources (their counts restart)'),
      findings_dropped: int('count', 'Findings not reported in this run because of the per-run limit'),
      read_ms: float('ms', 'Time spent reading and parsing'),
      error: str('Which log could not be read and what to do (absent when all could)', true),
    },
  }),
  auth_finding: measurement({
    doc: 'One intrusion signal of the auth_events check (count 0: the signal from that source has ended).',
    source: 'auth_events',
    tags: { kind: 'required', service: 'required', host: 'optional' },
    fields: {
      source: str('Source address of the attempts, or the account that made the change ("local" when none)'),
      user: str('User name, or the first user names tried (comma separated, at most 10)'),
      count: int('count', 'Events behind the finding so far (failures, users tried, changes); 0 when it has ended'),
      distinct_users: int('count', 'Distinct user names involved', true),
      started: bool('1 on the first sample of a finding, 0 on its updates and its end'),
      first_seen_seconds: int('seconds', 'Time of the first event of the finding, Unix seconds'),
      last_seen_seconds: int('seconds', 'Time of the latest event of the finding, Unix seconds'),
      window_seconds: int('seconds', 'The detection window of this kind (0 for single events)'),
      detail: str('What happened in words of the log: the group joined, the log cleared, the login method', true),
    },
    alertFields: ['source', 'user', 'detail', 'first_seen_seconds', 'last_seen_seconds', 'window_seconds'],
  }),
  net_interface: measurement({
    doc: 'One interface of a router or switch read over SNMP (IF-MIB); rates between two polls.',
    source: 'snmp_interfaces',
    tags: { device: 'required', interface: 'required', wan: 'optional' },
    fields: {
      oper_up: bool('1 when ifOperStatus is up'),
      admin_up: bool('1 when ifAdminStatus is up'),
      link_down: bool('1 when the interface is administratively up but operationally down'),
      speed_bps: float('bps', 'ifHighSpeed (ifSpeed when there is none) in bits per second', true),
      in_bps: float('bps', 'Bits received per second between the last two polls', true),
      out_bps: float('bps', 'Bits sent per second between the last two polls', true),
      in_utilisation_percent: float('percent', 'in_bps as a share of the speed', true),
      out_utilisation_percent: float('percent', 'out_bps as a share of the speed', true),
      in_errors_per_s: float('per_second', 'ifInErrors per second', true),
      out_errors_per_s: float('per_second', 'ifOutErrors per second', true),
      in_discards_per_s: float('per_second', 'ifInDiscards per second', true),
      out_discards_per_s: float('per_second', 'ifOutDiscards per second', true),
      in_unicast_packets_per_s: float('per_second', 'Unicast packets received per second', true),
      out_unicast_packets_per_s: float('per_second', 'Unicast packets sent per second', true),
      counters_64bit: bool('1 when the rates come from the 64-bit ifHC counters, 0 from 32-bit ones (wraps handled)'),
      last_change_seconds: float('seconds', 'Seconds since the interface last changed state (ifLastChange against sysUpTime)', true),
      alias: str('ifAlias: the description the network team gave the interface (at most 64 characters)', true),
    },
  }),
  net_device: measurement({
    doc: 'One poll of one router or switch over SNMP.',
    source: 'snmp_interfaces',
    tags: { device: 'required', result: 'required' },
    fields: {
      up: bool('1 when the device answered SNMP'),
      uptime_seconds: float('seconds', 'sysUpTime: time since the SNMP agent (re)started', true),
      interfaces: int('count', 'Interfaces reported after the include/exclude filters', true),
      interfaces_total: int('count', 'Interfaces the device listed (at most maxInterfaces are read)', true),
      truncated: bool('1 when the device listed more interfaces than maxInterfaces', true),
      rebooted: bool('1 when sysUpTime went back since the previous poll: no rates for this poll', true),
      rate_window_seconds: float('seconds', 'Time between the two polls the rates are computed over (absent without rates)', true),
      poll_ms: float('ms', 'Time to read the system group and the interface tables', true),
      sys_descr: str('sysDescr: model and firmware (at most 256 characters)', true),
      error: str('Why the device could not be read (absent when it could)', true),
    },
    alertFields: ['error'],
  }),
  mail_domain: measurement({
    doc: "One check of a mail domain's security: MX and STARTTLS, SPF, DMARC, MTA-STS, TLS-RPT, DKIM.",
    source: 'mail_domain',
    tags: { domain: 'required', result: 'required' },
    fields: {
      up: bool('1 when the DNS server answered for the domain'),
      score_percent: float('percent', 'Weighted share of the checks passed (low 1, medium 2, high 4, critical 8)', true),
      problems: int('count', 'Problems found (one mail_domain_problem sample each)', true),
      mx_count: int('count', 'MX hosts of the domain', true),
      mx_starttls_ok: bool('1 when every MX checked offered STARTTLS and completed the TLS handshake', true),
      mx_cert_ok: bool('1 when every MX certificate is unexpired, trusted and valid for the MX name', true),
      mx_cert_days_left: float('days', 'Days until the first MX certificate expires (negative once expired)', true),
      spf_ok: bool('1 when there is exactly one SPF record, without +all, within 10 DNS lookups', true),
      spf_lookups: int('count', 'DNS lookups the SPF record needs, includes followed', true),
      dmarc_ok: bool('1 when there is one DMARC record with p=quarantine or p=reject and rua=', true),
      dmarc_policy: str('The DMARC policy: none, quarantine or reject (absent without a record)', true),
      mta_sts_ok: bool('1 when the _mta-sts record and an enforcing policy covering every MX are published', true),
      mta_sts_mode: str('The MTA-STS policy mode: enforce, testing or none (absent without a policy)', true),
      tls_rpt_ok: bool('1 when a TLS-RPT record (_smtp._tls) is published', true),
      dkim_ok: bool('1 when every listed DKIM selector has a public key (absent when none is listed)', true),
      check_ms: float('ms', 'Time the whole check of the domain took', true),
      error: str('Why the domain could not be checked (absent when it could)', true),
    },
  }),
  mail_domain_problem: measurement({
    doc: 'One problem of a mail domain found by the mail_domain check, with what to do.',
    source: 'mail_domain',
    tags: { domain: 'required', problem: 'required', severity: 'required' },
    fields: {
      weight: int('score', 'Weight of the problem in the score (low 1, medium 2, high 4, critical 8)'),
      detail: str('What was seen: the record, the host and its error (at most 300 characters)'),
      remediation: str('What to do, in Vietnamese'),
    },
    alertFields: ['detail'],
  }),
  agent_status: measurement({
    doc: "The agent's own health, once per cycle.",
    source: 'agent',
    tags: { version: 'required', host: 'optional' },
    fields: {
      queue_samples: int('count', 'Samples waiting to be sent'),
      queue_bytes: int('bytes', 'Bytes waiting to be sent', true),
      dropped_samples: int('count', 'Samples dropped since start because the outbox was full'),
      cycle_ms: float('ms', 'Duration of the last check run'),
      rss_bytes: int('bytes', 'Resident memory of the agent'),
      status_interval_ms: int('ms', 'How often the agent sends this sample (agent.statusInterval): the collector calls it silent after 3 of them', true),
    },
  }),
  collector_status: measurement({
    doc: "The collector's own pipeline health, written by the collector.",
    source: 'collector',
    origin: 'collector',
    tags: { instance: 'required' },
    fields: {
      agents_seen: int('count', 'Agents that sent samples since the last status'),
      samples_accepted: int('count', 'Samples accepted since start'),
      samples_rejected: int('count', 'Samples rejected since start'),
      ingest_rate: float('count', 'Samples accepted per second over the last status period'),
      spool_samples: int('count', 'Samples waiting in the spool for InfluxDB', true),
      spool_bytes: int('bytes', 'Bytes waiting in the spool for InfluxDB', true),
      write_errors: int('count', 'Failed InfluxDB writes since start'),
      agencies_configured: int('count', 'Agencies in the collector config: the N of "n of N agencies reporting"', true),
      samples_over_budget: int('count', "Samples refused since start because their agent was over its series budget", true),
      points_refused: int('count', 'Samples InfluxDB refused outright since start (kept in the dead letter)', true),
      deadletter_bytes: int('bytes', 'Bytes in the dead letter (dataDir/deadletter)', true),
      influx_nodes_out_of_sync: int('count', 'InfluxDB nodes of influx.urls over spool.maxLagBytes behind or with a gap (samples they gave up)', true),
      leader: bool('1 while this collector holds the leader lease (always, on a SQLite state): it composes alert mail and runs the once-only timers', true),
    },
  }),
  collector_influx_node: measurement({
    doc: "One InfluxDB node the collector writes (influx.url or each of influx.urls): how far behind it is, written each status period.",
    source: 'collector',
    origin: 'collector',
    tags: { instance: 'required', node: 'required' },
    fields: {
      lag_samples: int('count', 'Samples accepted by the collector that this node does not have yet (waiting in the spool)'),
      lag_bytes: int('bytes', 'Spooled bytes this node has not been written yet'),
      writing: bool('1 while writes to the node succeed, 0 after a failed write until the next success'),
      out_of_sync: bool('1 while the node is over spool.maxLagBytes behind or has a gap (samples it gave up), else 0'),
      skipped_samples: int('count', 'Samples this node gave up because it was too far behind when the spool was full (kept across restarts)'),
    },
  }),
  collector_refusals: measurement({
    doc: "Samples the collector took but could not store, per agent and reason, written each status period while it happens (and once at 0 after).",
    source: 'collector',
    origin: 'collector',
    tags: { instance: 'required', reason: 'required' },
    fields: {
      refused_samples: int('count', 'Samples refused in the last status period: series_budget (over the agent\'s budget) or influxdb (refused by InfluxDB, dead-lettered)'),
    },
  }),
  alerts: measurement({
    doc: 'Alert state changes, written by the collector for Grafana annotations.',
    source: 'alerts',
    origin: 'collector',
    tags: { rule: 'required', severity: 'required', state: 'required' },
    fields: {
      firing: bool('1 when the alert fired, 0 when it resolved'),
      summary: str('Summary in the default locale'),
      alert_id: str('Stable id of the alert instance'),
    },
  }),
} as const satisfies Record<string, MeasurementSpec>;

export type Catalogue = typeof catalogue;
export type MeasurementName = keyof Catalogue;

/**
 * Tags that the collector sets from the token; whatever a payload says for them is replaced.
 * `district` is the agency's district from the collector config (absent for province-level
 * agencies), so dashboards can group agencies by district without a lookup table.
 */
export const COLLECTOR_TAGS = ['agency', 'agent', 'district'] as const;

type Spec<M extends MeasurementName> = Catalogue[M];
type FieldValue<F> = F extends { type: 'string' } ? string : number;
type OptionalKeys<R, Flag extends string, V> = { [K in keyof R]: R[K] extends Record<Flag, V> ? K : never }[keyof R];

type Fields<M extends MeasurementName> = Spec<M>['fields'];
type OptFieldKeys<M extends MeasurementName> = OptionalKeys<Fields<M>, 'optional', true>;
export type FieldsOf<M extends MeasurementName> = {
  [K in Exclude<keyof Fields<M>, OptFieldKeys<M>>]: FieldValue<Fields<M>[K]>;
} & { [K in OptFieldKeys<M>]?: FieldValue<Fields<M>[K]> };

type Tags<M extends MeasurementName> = Spec<M>['tags'];
type ReqTagKeys<M extends MeasurementName> = { [K in keyof Tags<M>]: Tags<M>[K] extends 'required' ? K : never }[keyof Tags<M>];
export type TagsOf<M extends MeasurementName> = { [K in ReqTagKeys<M>]: string } & {
  [K in Exclude<keyof Tags<M>, ReqTagKeys<M>>]?: string;
};

/** A sample as a check records it: typed by its measurement. */
export interface Sample<M extends MeasurementName = MeasurementName> {
  measurement: M;
  tags: TagsOf<M>;
  fields: FieldsOf<M>;
  /** RFC 3339, the moment it was measured; never re-stamped on resend. */
  time: string;
}

/** A sample as it travels and is stored: what validation produces. */
export interface WireSample {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string>;
  time: string;
}

export function isMeasurement(name: string): name is MeasurementName {
  return Object.prototype.hasOwnProperty.call(catalogue, name);
}

export function specOf(name: MeasurementName): MeasurementSpec {
  return catalogue[name];
}

/** The string fields an alert on `name` carries as labels (see MeasurementSpec.alertFields). */
export function alertFieldsOf(name: string): readonly string[] {
  return isMeasurement(name) ? ((catalogue[name] as MeasurementSpec).alertFields ?? []) : [];
}
