;; record-management
;;
;; Metadata of encrypted medical records: provider permissions, signed versions,
;; an access log, and retention. Consent lives in `patient-consent`, read here
;; through `contract-call?`. Interface: shared/spec/CONTRACTS.md. The native module
;; `clarimed-records` implements the same checks in the same order.
;;
;; Order of checks, where the spec leaves it open (first failing check wins):
;;   check-access            action not u0/u1, then the spec's steps 1-4
;;   grant-provider-access   paused, patient not registered, caller neither patient
;;                           nor live ADMIN, level, expiry, provider = patient
;;   revoke-provider-access  caller neither patient nor live ADMIN, no grant
;;   create-record           paused, record type, confidentiality, patient not
;;                           registered, write access (unless the caller is the
;;                           patient), empty title, hash format, duplicate hash, signature
;;   get-record              paused, check-access read
;;   update-record           paused, check-access write, archived, empty title,
;;                           hash format, duplicate hash, version limit, signature
;;   rollback-record         paused, check-access write, level below ADMIN, archived,
;;                           version out of range
;;   archive-record(s)       paused, (empty list), for each record: check-access write,
;;                           neither ADMIN nor creator, already archived
;;   purge-record            paused, record missing, caller neither patient nor
;;                           owner, retention not reached
;;   owner functions         caller not owner, then the value's range
;; A signature check fails (u206) when the public key is not 33 bytes, its
;; principal is not the caller, or the signature does not verify.

;; Errors
(define-constant ERR-UNAUTHORIZED (err u200))
(define-constant ERR-RECORD-NOT-FOUND (err u201))
(define-constant ERR-PATIENT-NOT-FOUND (err u202))
(define-constant ERR-ACCESS-NOT-FOUND (err u203))
(define-constant ERR-INVALID-RECORD-TYPE (err u204))
(define-constant ERR-INVALID-ACCESS-LEVEL (err u205))
(define-constant ERR-INVALID-SIGNATURE (err u206))
(define-constant ERR-DUPLICATE-RECORD (err u207))
(define-constant ERR-RECORD-ARCHIVED (err u208))
(define-constant ERR-RETENTION-PERIOD (err u209))
(define-constant ERR-PAUSED (err u210))
(define-constant ERR-INVALID-INPUT (err u211))
(define-constant ERR-NO-CONSENT (err u212))
(define-constant ERR-INVALID-VERSION (err u213))
(define-constant ERR-EMERGENCY-VIOLATION (err u214))
(define-constant ERR-INVALID-EXPIRY (err u215))

;; Access levels
(define-constant ACCESS-READ u0)
(define-constant ACCESS-WRITE u1)
(define-constant ACCESS-ADMIN u2)
(define-constant ACCESS-EMERGENCY u3)

;; check-access actions
(define-constant CHECK-READ u0)
(define-constant CHECK-WRITE u1)

;; Record status
(define-constant STATUS-ACTIVE u0)
(define-constant STATUS-ARCHIVED u1)

(define-constant MAX-CONFIDENTIALITY u3)

;; Access-log actions
(define-constant LOG-READ u0)
(define-constant LOG-CREATE u1)
(define-constant LOG-UPDATE u2)
(define-constant LOG-ROLLBACK u3)
(define-constant LOG-ARCHIVE u4)
(define-constant LOG-PURGE u5)

;; The consent data type each record type needs, indexed by record type.
(define-constant RECORD-DATA-TYPES (list u0 u1 u1 u3 u2 u2 u1 u1 u1 u4 u5 u6 u7))
(define-constant RECORD-TYPE-COUNT u13)

(define-constant MIN-RETENTION u315360)
(define-constant MAX-RETENTION u5256000)

;; Clarity cannot loop without a bound, so purge deletes versions by walking this
;; list; a record therefore holds at most MAX-VERSIONS versions (u213 past it).
(define-constant MAX-VERSIONS u100)
(define-constant VERSION-NUMBERS (list
  u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16 u17 u18 u19 u20
  u21 u22 u23 u24 u25 u26 u27 u28 u29 u30 u31 u32 u33 u34 u35 u36 u37 u38 u39 u40
  u41 u42 u43 u44 u45 u46 u47 u48 u49 u50 u51 u52 u53 u54 u55 u56 u57 u58 u59 u60
  u61 u62 u63 u64 u65 u66 u67 u68 u69 u70 u71 u72 u73 u74 u75 u76 u77 u78 u79 u80
  u81 u82 u83 u84 u85 u86 u87 u88 u89 u90 u91 u92 u93 u94 u95 u96 u97 u98 u99 u100))

(define-constant HEX-DIGITS "0123456789abcdef")

;; State
(define-data-var contract-owner principal tx-sender)
(define-data-var paused bool false)
(define-data-var retention-period uint u1576800)
(define-data-var next-record-id uint u1)
(define-data-var next-log-id uint u1)
(define-data-var total-provider-grants uint u0)

(define-map records
  uint
  {
    patient: principal,
    record-type: uint,
    created-by: principal,
    created-at: uint,
    updated-at: uint,
    status: uint,
    title: (string-ascii 100),
    data-hash: (string-ascii 64),
    checksum: (buff 32),
    encryption-key-id: (optional (string-ascii 64)),
    confidentiality-level: uint,
    version: uint,
    retention-until: uint
  })

(define-map record-versions
  { record-id: uint, version: uint }
  {
    title: (string-ascii 100),
    data-hash: (string-ascii 64),
    checksum: (buff 32),
    updated-by: principal,
    updated-at: uint
  })

(define-map hash-index (string-ascii 64) uint)

(define-map patient-record-count principal uint)

(define-map patient-records { patient: principal, index: uint } uint)

(define-map provider-access
  { patient: principal, provider: principal }
  {
    access-level: uint,
    granted-by: principal,
    granted-at: uint,
    expires-at: (optional uint),
    audit-required: bool
  })

(define-map access-log
  uint
  { record-id: uint, accessor: principal, action: uint, block: uint, emergency: bool })

(define-map record-access-count uint uint)

;; Private helpers

(define-private (is-owner)
  (is-eq tx-sender (var-get contract-owner)))

(define-private (record-data-type (record-type uint))
  (default-to u0 (element-at? RECORD-DATA-TYPES record-type)))

(define-private (is-emergency-covered (data-type uint))
  (or (<= data-type u3) (is-eq data-type u7)))

(define-private (is-hex-digit (c (string-ascii 1)) (valid bool))
  (and valid (is-some (index-of? HEX-DIGITS c))))

(define-private (is-valid-data-hash (data-hash (string-ascii 64)))
  (and (is-eq (len data-hash) u64) (fold is-hex-digit data-hash true)))

;; A grant whose expiry is none or above block-height.
(define-private (live-grant (patient principal) (provider principal))
  (match (map-get? provider-access { patient: patient, provider: provider })
    grant (if (match (get expires-at grant) expiry (> expiry block-height) true)
      (some grant)
      none)
    none))

(define-private (is-live-admin (patient principal) (provider principal))
  (match (live-grant patient provider)
    grant (is-eq (get access-level grant) ACCESS-ADMIN)
    false))

;; Steps 2-4 of check-access, for an accessor who is not the patient.
(define-private (provider-access-level
    (patient principal)
    (accessor principal)
    (data-type uint)
    (confidentiality uint)
    (creator principal)
    (status uint)
    (action uint))
  (let ((grant (live-grant patient accessor)))
    (if (and (is-some grant)
             (contract-call? .patient-consent has-consent patient accessor data-type))
      (let ((level (get access-level (unwrap-panic grant))))
        (asserts! (or (is-eq action CHECK-READ) (>= level ACCESS-WRITE)) ERR-UNAUTHORIZED)
        (asserts! (or (is-eq action CHECK-READ) (is-eq status STATUS-ACTIVE)) ERR-RECORD-ARCHIVED)
        (asserts! (or (< confidentiality u2) (is-eq level ACCESS-ADMIN) (is-eq accessor creator))
          ERR-UNAUTHORIZED)
        (ok level))
      (if (contract-call? .patient-consent has-emergency-access patient accessor)
        (begin
          (asserts! (and (is-eq action CHECK-READ)
                         (is-emergency-covered data-type)
                         (<= confidentiality u1))
            ERR-EMERGENCY-VIOLATION)
          (ok ACCESS-EMERGENCY))
        (if (is-some grant) ERR-NO-CONSENT ERR-UNAUTHORIZED)))))

(define-private (record-access-level (record-id uint) (accessor principal) (action uint))
  (begin
    (asserts! (<= action CHECK-WRITE) ERR-INVALID-INPUT)
    (let ((record (unwrap! (map-get? records record-id) ERR-RECORD-NOT-FOUND)))
      (if (is-eq accessor (get patient record))
        (ok ACCESS-ADMIN)
        (provider-access-level
          (get patient record)
          accessor
          (record-data-type (get record-type record))
          (get confidentiality-level record)
          (get created-by record)
          (get status record)
          action)))))

(define-private (append-access-log (record-id uint) (action uint) (emergency bool))
  (let ((log-id (var-get next-log-id)))
    (map-set access-log log-id
      { record-id: record-id, accessor: tx-sender, action: action, block: block-height, emergency: emergency })
    (map-set record-access-count record-id
      (+ (default-to u0 (map-get? record-access-count record-id)) u1))
    (var-set next-log-id (+ log-id u1))
    log-id))

;; The signature is by `public-key`, whose principal is the caller, over `digest`.
(define-private (check-signature (digest (buff 32)) (signature (buff 65)) (public-key (buff 33)))
  (begin
    (asserts! (is-eq (len public-key) u33) ERR-INVALID-SIGNATURE)
    (asserts! (is-eq (principal-of? public-key) (ok tx-sender)) ERR-INVALID-SIGNATURE)
    (asserts! (secp256k1-verify digest signature public-key) ERR-INVALID-SIGNATURE)
    (ok true)))

(define-private (check-new-content (title (string-ascii 100)) (data-hash (string-ascii 64)))
  (begin
    (asserts! (> (len title) u0) ERR-INVALID-INPUT)
    (asserts! (is-valid-data-hash data-hash) ERR-INVALID-INPUT)
    (asserts! (is-none (map-get? hash-index data-hash)) ERR-DUPLICATE-RECORD)
    (ok true)))

(define-private (archive-one (record-id uint))
  (let
    (
      (level (try! (record-access-level record-id tx-sender CHECK-WRITE)))
      (record (unwrap! (map-get? records record-id) ERR-RECORD-NOT-FOUND))
    )
    (asserts! (or (is-eq level ACCESS-ADMIN) (is-eq tx-sender (get created-by record)))
      ERR-UNAUTHORIZED)
    (asserts! (is-eq (get status record) STATUS-ACTIVE) ERR-RECORD-ARCHIVED)
    (map-set records record-id (merge record { status: STATUS-ARCHIVED, updated-at: block-height }))
    (append-access-log record-id LOG-ARCHIVE false)
    (ok true)))

(define-private (archive-step (record-id uint) (acc (response uint uint)))
  (match acc
    count (match (archive-one record-id)
      archived (ok (+ count u1))
      code (err code))
    code acc))

(define-private (delete-version (version uint) (record-id uint))
  (begin
    (map-delete record-versions { record-id: record-id, version: version })
    record-id))

;; Public functions

(define-public (grant-provider-access
    (patient principal)
    (provider principal)
    (access-level uint)
    (expires-at (optional uint))
    (audit-required bool))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (is-some (contract-call? .patient-consent get-patient patient)) ERR-PATIENT-NOT-FOUND)
    (asserts! (or (is-eq tx-sender patient) (is-live-admin patient tx-sender)) ERR-UNAUTHORIZED)
    (asserts! (<= access-level ACCESS-ADMIN) ERR-INVALID-ACCESS-LEVEL)
    (match expires-at
      expiry (asserts! (> expiry block-height) ERR-INVALID-EXPIRY)
      true)
    (asserts! (not (is-eq provider patient)) ERR-INVALID-INPUT)
    (map-set provider-access { patient: patient, provider: provider } {
      access-level: access-level,
      granted-by: tx-sender,
      granted-at: block-height,
      expires-at: expires-at,
      audit-required: audit-required
    })
    (var-set total-provider-grants (+ (var-get total-provider-grants) u1))
    (print { event: "provider-access-granted", patient: patient, provider: provider,
             access-level: access-level, expires-at: expires-at })
    (ok true)))

;; Works while paused.
(define-public (revoke-provider-access (patient principal) (provider principal))
  (let ((key { patient: patient, provider: provider }))
    (asserts! (or (is-eq tx-sender patient) (is-live-admin patient tx-sender)) ERR-UNAUTHORIZED)
    (asserts! (is-some (map-get? provider-access key)) ERR-ACCESS-NOT-FOUND)
    (map-delete provider-access key)
    (print { event: "provider-access-revoked", patient: patient, provider: provider })
    (ok true)))

(define-public (create-record
    (patient principal)
    (record-type uint)
    (title (string-ascii 100))
    (data-hash (string-ascii 64))
    (checksum (buff 32))
    (encryption-key-id (optional (string-ascii 64)))
    (confidentiality-level uint)
    (signature (buff 65))
    (public-key (buff 33)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (< record-type RECORD-TYPE-COUNT) ERR-INVALID-RECORD-TYPE)
    (asserts! (<= confidentiality-level MAX-CONFIDENTIALITY) ERR-INVALID-INPUT)
    (asserts! (is-some (contract-call? .patient-consent get-patient patient)) ERR-PATIENT-NOT-FOUND)
    (if (is-eq tx-sender patient)
      true
      (begin
        (try! (provider-access-level patient tx-sender (record-data-type record-type)
          confidentiality-level tx-sender STATUS-ACTIVE CHECK-WRITE))
        true))
    (try! (check-new-content title data-hash))
    (try! (check-signature
      (sha256 (unwrap-panic (to-consensus-buff?
        { patient: patient, record-type: record-type, data-hash: data-hash, checksum: checksum })))
      signature public-key))
    (let
      (
        (record-id (var-get next-record-id))
        (index (default-to u0 (map-get? patient-record-count patient)))
      )
      (map-set records record-id {
        patient: patient,
        record-type: record-type,
        created-by: tx-sender,
        created-at: block-height,
        updated-at: block-height,
        status: STATUS-ACTIVE,
        title: title,
        data-hash: data-hash,
        checksum: checksum,
        encryption-key-id: encryption-key-id,
        confidentiality-level: confidentiality-level,
        version: u1,
        retention-until: (+ block-height (var-get retention-period))
      })
      (map-set record-versions { record-id: record-id, version: u1 }
        { title: title, data-hash: data-hash, checksum: checksum,
          updated-by: tx-sender, updated-at: block-height })
      (map-set hash-index data-hash record-id)
      (map-set patient-records { patient: patient, index: index } record-id)
      (map-set patient-record-count patient (+ index u1))
      (var-set next-record-id (+ record-id u1))
      (append-access-log record-id LOG-CREATE false)
      (print { event: "record-created", record-id: record-id, patient: patient,
               created-by: tx-sender, record-type: record-type })
      (ok record-id))))

(define-public (get-record (record-id uint))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (let
      (
        (level (try! (record-access-level record-id tx-sender CHECK-READ)))
        (record (unwrap! (map-get? records record-id) ERR-RECORD-NOT-FOUND))
      )
      (append-access-log record-id LOG-READ (is-eq level ACCESS-EMERGENCY))
      (print { event: "record-read", record-id: record-id, accessor: tx-sender, access-level: level })
      (ok record))))

(define-public (update-record
    (record-id uint)
    (title (string-ascii 100))
    (data-hash (string-ascii 64))
    (checksum (buff 32))
    (signature (buff 65))
    (public-key (buff 33)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (try! (record-access-level record-id tx-sender CHECK-WRITE))
    (let
      (
        (record (unwrap! (map-get? records record-id) ERR-RECORD-NOT-FOUND))
        (new-version (+ (get version record) u1))
      )
      (asserts! (is-eq (get status record) STATUS-ACTIVE) ERR-RECORD-ARCHIVED)
      (try! (check-new-content title data-hash))
      (asserts! (<= new-version MAX-VERSIONS) ERR-INVALID-VERSION)
      (try! (check-signature
        (sha256 (unwrap-panic (to-consensus-buff?
          { record-id: record-id, version: new-version, data-hash: data-hash, checksum: checksum })))
        signature public-key))
      (map-set records record-id (merge record {
        title: title, data-hash: data-hash, checksum: checksum,
        version: new-version, updated-at: block-height
      }))
      (map-set record-versions { record-id: record-id, version: new-version }
        { title: title, data-hash: data-hash, checksum: checksum,
          updated-by: tx-sender, updated-at: block-height })
      (map-set hash-index data-hash record-id)
      (append-access-log record-id LOG-UPDATE false)
      (print { event: "record-updated", record-id: record-id, version: new-version, updated-by: tx-sender })
      (ok new-version))))

(define-public (rollback-record (record-id uint) (version uint))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (is-eq (try! (record-access-level record-id tx-sender CHECK-WRITE)) ACCESS-ADMIN)
      ERR-UNAUTHORIZED)
    (let
      (
        (record (unwrap! (map-get? records record-id) ERR-RECORD-NOT-FOUND))
        (new-version (+ (get version record) u1))
      )
      (asserts! (is-eq (get status record) STATUS-ACTIVE) ERR-RECORD-ARCHIVED)
      (asserts! (and (>= version u1) (< version (get version record))) ERR-INVALID-VERSION)
      (asserts! (<= new-version MAX-VERSIONS) ERR-INVALID-VERSION)
      (let
        (
          (old (unwrap! (map-get? record-versions { record-id: record-id, version: version })
            ERR-INVALID-VERSION))
        )
        (map-set records record-id (merge record {
          title: (get title old), data-hash: (get data-hash old), checksum: (get checksum old),
          version: new-version, updated-at: block-height
        }))
        (map-set record-versions { record-id: record-id, version: new-version }
          { title: (get title old), data-hash: (get data-hash old), checksum: (get checksum old),
            updated-by: tx-sender, updated-at: block-height })
        (append-access-log record-id LOG-ROLLBACK false)
        (print { event: "record-rolled-back", record-id: record-id, version: new-version,
                 restored-version: version })
        (ok new-version)))))

(define-public (archive-record (record-id uint))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (try! (archive-one record-id))
    (print { event: "record-archived", record-id: record-id, archived-by: tx-sender })
    (ok true)))

(define-public (archive-records (record-ids (list 20 uint)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (> (len record-ids) u0) ERR-INVALID-INPUT)
    (let ((count (try! (fold archive-step record-ids (ok u0)))))
      (print { event: "records-archived", record-ids: record-ids, archived-by: tx-sender })
      (ok count))))

(define-public (purge-record (record-id uint))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (let ((record (unwrap! (map-get? records record-id) ERR-RECORD-NOT-FOUND)))
      (asserts! (or (is-eq tx-sender (get patient record)) (is-owner)) ERR-UNAUTHORIZED)
      (asserts! (>= block-height (get retention-until record)) ERR-RETENTION-PERIOD)
      (fold delete-version
        (unwrap-panic (slice? VERSION-NUMBERS u0 (get version record)))
        record-id)
      (map-delete records record-id)
      (append-access-log record-id LOG-PURGE false)
      (print { event: "record-purged", record-id: record-id, purged-by: tx-sender })
      (ok true))))

;; Owner functions: not subject to pause.

(define-public (set-paused (new-paused bool))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (var-set paused new-paused)
    (print { event: "paused-set", paused: new-paused })
    (ok true)))

(define-public (set-retention-period (blocks uint))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (asserts! (and (>= blocks MIN-RETENTION) (<= blocks MAX-RETENTION)) ERR-INVALID-INPUT)
    (var-set retention-period blocks)
    (print { event: "retention-period-set", blocks: blocks })
    (ok true)))

(define-public (transfer-ownership (new-owner principal))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (var-set contract-owner new-owner)
    (print { event: "ownership-transferred", new-owner: new-owner })
    (ok true)))

;; Read-only functions

;; The permission check: the level the access is granted under, or why not.
(define-read-only (check-access (record-id uint) (accessor principal) (action uint))
  (record-access-level record-id accessor action))

(define-read-only (get-record-info (record-id uint))
  (map-get? records record-id))

(define-read-only (get-record-version (record-id uint) (version uint))
  (map-get? record-versions { record-id: record-id, version: version }))

(define-read-only (get-provider-access (patient principal) (provider principal))
  (map-get? provider-access { patient: patient, provider: provider }))

(define-read-only (get-access-log-entry (log-id uint))
  (map-get? access-log log-id))

(define-read-only (get-record-access-count (record-id uint))
  (default-to u0 (map-get? record-access-count record-id)))

(define-read-only (get-record-count (patient principal))
  (default-to u0 (map-get? patient-record-count patient)))

(define-read-only (get-patient-record-id (patient principal) (index uint))
  (map-get? patient-records { patient: patient, index: index }))

(define-read-only (verify-checksum (record-id uint) (checksum (buff 32)))
  (match (map-get? records record-id)
    record (is-eq (get checksum record) checksum)
    false))

(define-read-only (get-retention-period)
  (var-get retention-period))

(define-read-only (is-paused)
  (var-get paused))

(define-read-only (get-contract-owner)
  (var-get contract-owner))

(define-read-only (get-stats)
  {
    total-records: (- (var-get next-record-id) u1),
    total-access-log-entries: (- (var-get next-log-id) u1),
    total-provider-grants: (var-get total-provider-grants)
  })
