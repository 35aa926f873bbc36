;; patient-consent
;;
;; Patients register, grant and revoke consent per data type, allow or refuse
;; emergency overrides, and every consent action lands in a per-patient audit trail.
;; Interface: shared/spec/CONTRACTS.md. The native module `clarimed-consent`
;; implements the same checks in the same order; the conformance tests hold the
;; two together, so a change here needs the same change there.
;;
;; Order of checks, where the spec leaves it open (first failing check wins):
;;   register-patient          paused, already registered, empty id, bad date of birth
;;   update-patient-profile    paused, not registered, deceased
;;   update-patient-preferences paused, not registered, deceased
;;   grant-consent             paused, not registered, deceased, provider = caller,
;;                             data type, expiry not above block-height, sensitive expiry
;;   grant-consent-batch       as grant-consent, then empty list, then each data type
;;                             in list order (data type, then expiry)
;;   revoke-consent            not registered, data type, no consent
;;   emergency-override        paused, caller not an enabled responder, not registered,
;;                             deceased, emergency access refused, empty reason
;;   revoke-emergency-access   caller neither patient nor owner, no entry
;;   mark-deceased             paused, not registered, caller neither primary
;;                             physician nor owner, already deceased
;;   owner functions           caller not owner, then the value's range

;; Errors
(define-constant ERR-UNAUTHORIZED (err u100))
(define-constant ERR-PATIENT-NOT-FOUND (err u101))
(define-constant ERR-PATIENT-EXISTS (err u102))
(define-constant ERR-INVALID-DATA-TYPE (err u103))
(define-constant ERR-CONSENT-NOT-FOUND (err u104))
(define-constant ERR-INVALID-EXPIRY (err u105))
(define-constant ERR-PAUSED (err u106))
(define-constant ERR-PATIENT-DECEASED (err u107))
(define-constant ERR-EMERGENCY-NOT-ALLOWED (err u108))
(define-constant ERR-INVALID-INPUT (err u109))
(define-constant ERR-INVALID-TIMEOUT (err u110))
(define-constant ERR-EMERGENCY-NOT-FOUND (err u111))

;; Data types
(define-constant DATA-TYPE-COUNT u8)
(define-constant DATA-TYPE-MENTAL-HEALTH u4)
(define-constant DATA-TYPE-GENETIC u5)
(define-constant DATA-TYPE-EMERGENCY-CONTACTS u7)

;; Audit actions
(define-constant ACTION-REGISTER u1)
(define-constant ACTION-GRANT u2)
(define-constant ACTION-REVOKE u3)
(define-constant ACTION-EMERGENCY-OVERRIDE u4)
(define-constant ACTION-EMERGENCY-REVOKED u5)
(define-constant ACTION-PREFERENCES u6)
(define-constant ACTION-PROFILE u7)
(define-constant ACTION-DECEASED u8)

;; Time, in blocks
(define-constant BLOCKS-PER-YEAR u52560)
(define-constant MIN-EMERGENCY-TIMEOUT u6)
(define-constant MAX-EMERGENCY-TIMEOUT u4320)

(define-constant DEFAULT-PREFERENCES
  { allow-emergency-access: true, notify-on-access: true, research-opt-in: false })

;; State
(define-data-var contract-owner principal tx-sender)
(define-data-var paused bool false)
(define-data-var emergency-timeout uint u432)
(define-data-var total-patients uint u0)
(define-data-var total-consents-granted uint u0)
(define-data-var total-consents-revoked uint u0)
(define-data-var total-emergency-overrides uint u0)

(define-map patients
  principal
  {
    patient-id: (string-ascii 64),
    date-of-birth: uint,
    emergency-contact: (optional principal),
    primary-physician: (optional principal),
    deceased: bool,
    registration-date: uint,
    last-updated: uint
  })

(define-map preferences
  principal
  { allow-emergency-access: bool, notify-on-access: bool, research-opt-in: bool })

(define-map consents
  { patient: principal, provider: principal, data-type: uint }
  { granted-at: uint, expires-at: (optional uint), purpose: (string-ascii 64) })

(define-map emergency-access
  { patient: principal, provider: principal }
  { granted-at: uint, expires-at: uint, reason: (string-ascii 128) })

(define-map emergency-responders principal bool)

(define-map audit-log
  { patient: principal, seq: uint }
  {
    action: uint,
    actor: principal,
    provider: (optional principal),
    data-type: (optional uint),
    block: uint
  })

(define-map audit-count principal uint)

;; Private helpers

(define-private (is-owner)
  (is-eq tx-sender (var-get contract-owner)))

(define-private (is-valid-data-type (data-type uint))
  (< data-type DATA-TYPE-COUNT))

;; Types that need an expiry no more than a year ahead.
(define-private (is-sensitive (data-type uint))
  (or (is-eq data-type DATA-TYPE-MENTAL-HEALTH) (is-eq data-type DATA-TYPE-GENETIC)))

(define-private (is-emergency-covered (data-type uint))
  (or (<= data-type u3) (is-eq data-type DATA-TYPE-EMERGENCY-CONTACTS)))

;; YYYYMMDD with year 1900..2999, month 1..12, day 1..31.
(define-private (is-valid-date-of-birth (date uint))
  (let
    (
      (year (/ date u10000))
      (month (mod (/ date u100) u100))
      (day (mod date u100))
    )
    (and (>= year u1900) (<= year u2999)
         (>= month u1) (<= month u12)
         (>= day u1) (<= day u31))))

(define-private (append-audit
    (patient principal)
    (action uint)
    (provider (optional principal))
    (data-type (optional uint)))
  (let ((seq (default-to u0 (map-get? audit-count patient))))
    (map-set audit-log { patient: patient, seq: seq }
      { action: action, actor: tx-sender, provider: provider, data-type: data-type, block: block-height })
    (map-set audit-count patient (+ seq u1))
    seq))

;; The caller as a registered, living patient: the profile, or the error.
(define-private (living-caller-profile)
  (let ((profile (unwrap! (map-get? patients tx-sender) ERR-PATIENT-NOT-FOUND)))
    (asserts! (not (get deceased profile)) ERR-PATIENT-DECEASED)
    (ok profile)))

(define-private (check-consent-terms (data-type uint) (expires-at (optional uint)))
  (begin
    (asserts! (is-valid-data-type data-type) ERR-INVALID-DATA-TYPE)
    (match expires-at
      expiry (asserts! (> expiry block-height) ERR-INVALID-EXPIRY)
      true)
    (if (is-sensitive data-type)
      (match expires-at
        expiry (if (<= expiry (+ block-height BLOCKS-PER-YEAR)) (ok true) ERR-INVALID-EXPIRY)
        ERR-INVALID-EXPIRY)
      (ok true))))

;; Checks one data type's terms, then writes its consent and audit entry.
(define-private (write-consent
    (provider principal)
    (data-type uint)
    (expires-at (optional uint))
    (purpose (string-ascii 64)))
  (begin
    (try! (check-consent-terms data-type expires-at))
    (map-set consents { patient: tx-sender, provider: provider, data-type: data-type }
      { granted-at: block-height, expires-at: expires-at, purpose: purpose })
    (append-audit tx-sender ACTION-GRANT (some provider) (some data-type))
    (var-set total-consents-granted (+ (var-get total-consents-granted) u1))
    (ok true)))

(define-private (grant-batch-step
    (data-type uint)
    (acc {
      provider: principal,
      expires-at: (optional uint),
      purpose: (string-ascii 64),
      result: (response uint uint)
    }))
  (match (get result acc)
    count (merge acc {
      result: (match (write-consent (get provider acc) data-type (get expires-at acc) (get purpose acc))
        written (ok (+ count u1))
        code (err code))
    })
    code acc))

;; Public functions

(define-public (register-patient
    (patient-id (string-ascii 64))
    (date-of-birth uint)
    (emergency-contact (optional principal))
    (primary-physician (optional principal)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (is-none (map-get? patients tx-sender)) ERR-PATIENT-EXISTS)
    (asserts! (> (len patient-id) u0) ERR-INVALID-INPUT)
    (asserts! (is-valid-date-of-birth date-of-birth) ERR-INVALID-INPUT)
    (map-set patients tx-sender {
      patient-id: patient-id,
      date-of-birth: date-of-birth,
      emergency-contact: emergency-contact,
      primary-physician: primary-physician,
      deceased: false,
      registration-date: block-height,
      last-updated: block-height
    })
    (append-audit tx-sender ACTION-REGISTER none none)
    (var-set total-patients (+ (var-get total-patients) u1))
    (print { event: "patient-registered", patient: tx-sender, patient-id: patient-id })
    (ok true)))

(define-public (update-patient-profile
    (emergency-contact (optional principal))
    (primary-physician (optional principal)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (let ((profile (try! (living-caller-profile))))
      (map-set patients tx-sender (merge profile {
        emergency-contact: emergency-contact,
        primary-physician: primary-physician,
        last-updated: block-height
      }))
      (append-audit tx-sender ACTION-PROFILE none none)
      (print { event: "profile-updated", patient: tx-sender })
      (ok true))))

(define-public (update-patient-preferences
    (allow-emergency-access bool)
    (notify-on-access bool)
    (research-opt-in bool))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (try! (living-caller-profile))
    (map-set preferences tx-sender {
      allow-emergency-access: allow-emergency-access,
      notify-on-access: notify-on-access,
      research-opt-in: research-opt-in
    })
    (append-audit tx-sender ACTION-PREFERENCES none none)
    (print { event: "preferences-updated", patient: tx-sender })
    (ok true)))

(define-public (grant-consent
    (provider principal)
    (data-type uint)
    (expires-at (optional uint))
    (purpose (string-ascii 64)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (try! (living-caller-profile))
    (asserts! (not (is-eq provider tx-sender)) ERR-INVALID-INPUT)
    (try! (write-consent provider data-type expires-at purpose))
    (print { event: "consent-granted", patient: tx-sender, provider: provider,
             data-type: data-type, expires-at: expires-at })
    (ok true)))

(define-public (grant-consent-batch
    (provider principal)
    (data-types (list 8 uint))
    (expires-at (optional uint))
    (purpose (string-ascii 64)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (try! (living-caller-profile))
    (asserts! (not (is-eq provider tx-sender)) ERR-INVALID-INPUT)
    (asserts! (> (len data-types) u0) ERR-INVALID-INPUT)
    (let
      (
        (count (try! (get result (fold grant-batch-step data-types
          { provider: provider, expires-at: expires-at, purpose: purpose, result: (ok u0) }))))
      )
      (print { event: "consent-batch-granted", patient: tx-sender, provider: provider,
               data-types: data-types, expires-at: expires-at })
      (ok count))))

;; Works while paused: a patient can always withdraw consent.
(define-public (revoke-consent (provider principal) (data-type uint))
  (let ((key { patient: tx-sender, provider: provider, data-type: data-type }))
    (asserts! (is-some (map-get? patients tx-sender)) ERR-PATIENT-NOT-FOUND)
    (asserts! (is-valid-data-type data-type) ERR-INVALID-DATA-TYPE)
    (asserts! (is-some (map-get? consents key)) ERR-CONSENT-NOT-FOUND)
    (map-delete consents key)
    (append-audit tx-sender ACTION-REVOKE (some provider) (some data-type))
    (var-set total-consents-revoked (+ (var-get total-consents-revoked) u1))
    (print { event: "consent-revoked", patient: tx-sender, provider: provider, data-type: data-type })
    (ok true)))

(define-public (emergency-override (patient principal) (reason (string-ascii 128)))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (default-to false (map-get? emergency-responders tx-sender)) ERR-UNAUTHORIZED)
    (let
      (
        (profile (unwrap! (map-get? patients patient) ERR-PATIENT-NOT-FOUND))
        (prefs (default-to DEFAULT-PREFERENCES (map-get? preferences patient)))
        (expires-at (+ block-height (var-get emergency-timeout)))
      )
      (asserts! (not (get deceased profile)) ERR-PATIENT-DECEASED)
      (asserts! (get allow-emergency-access prefs) ERR-EMERGENCY-NOT-ALLOWED)
      (asserts! (> (len reason) u0) ERR-INVALID-INPUT)
      (map-set emergency-access { patient: patient, provider: tx-sender }
        { granted-at: block-height, expires-at: expires-at, reason: reason })
      (append-audit patient ACTION-EMERGENCY-OVERRIDE (some tx-sender) none)
      (var-set total-emergency-overrides (+ (var-get total-emergency-overrides) u1))
      (print { event: "emergency-override", patient: patient, provider: tx-sender,
               expires-at: expires-at, reason: reason })
      (ok expires-at))))

;; Works while paused.
(define-public (revoke-emergency-access (patient principal) (provider principal))
  (let ((key { patient: patient, provider: provider }))
    (asserts! (or (is-eq tx-sender patient) (is-owner)) ERR-UNAUTHORIZED)
    (asserts! (is-some (map-get? emergency-access key)) ERR-EMERGENCY-NOT-FOUND)
    (map-delete emergency-access key)
    (append-audit patient ACTION-EMERGENCY-REVOKED (some provider) none)
    (print { event: "emergency-access-revoked", patient: patient, provider: provider })
    (ok true)))

(define-public (mark-deceased (patient principal))
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (let ((profile (unwrap! (map-get? patients patient) ERR-PATIENT-NOT-FOUND)))
      (asserts! (or (is-eq (some tx-sender) (get primary-physician profile)) (is-owner))
        ERR-UNAUTHORIZED)
      (asserts! (not (get deceased profile)) ERR-PATIENT-DECEASED)
      (map-set patients patient (merge profile { deceased: true, last-updated: block-height }))
      (append-audit patient ACTION-DECEASED none none)
      (print { event: "patient-deceased", patient: patient })
      (ok true))))

;; Owner functions: not subject to pause.

(define-public (set-paused (new-paused bool))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (var-set paused new-paused)
    (print { event: "paused-set", paused: new-paused })
    (ok true)))

(define-public (set-emergency-timeout (blocks uint))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (asserts! (and (>= blocks MIN-EMERGENCY-TIMEOUT) (<= blocks MAX-EMERGENCY-TIMEOUT))
      ERR-INVALID-TIMEOUT)
    (var-set emergency-timeout blocks)
    (print { event: "emergency-timeout-set", blocks: blocks })
    (ok true)))

(define-public (set-emergency-responder (responder principal) (enabled bool))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (map-set emergency-responders responder enabled)
    (print { event: "emergency-responder-set", responder: responder, enabled: enabled })
    (ok true)))

(define-public (transfer-ownership (new-owner principal))
  (begin
    (asserts! (is-owner) ERR-UNAUTHORIZED)
    (var-set contract-owner new-owner)
    (print { event: "ownership-transferred", new-owner: new-owner })
    (ok true)))

;; Read-only functions

(define-read-only (get-patient (patient principal))
  (map-get? patients patient))

;; A registered patient without an entry has the default preferences.
(define-read-only (get-preferences (patient principal))
  (match (map-get? patients patient)
    profile (some (default-to DEFAULT-PREFERENCES (map-get? preferences patient)))
    none))

(define-read-only (get-consent (patient principal) (provider principal) (data-type uint))
  (map-get? consents { patient: patient, provider: provider, data-type: data-type }))

(define-read-only (get-emergency-access (patient principal) (provider principal))
  (map-get? emergency-access { patient: patient, provider: provider }))

(define-read-only (get-audit-entry (patient principal) (seq uint))
  (map-get? audit-log { patient: patient, seq: seq }))

(define-read-only (get-audit-count (patient principal))
  (default-to u0 (map-get? audit-count patient)))

(define-read-only (get-emergency-timeout)
  (var-get emergency-timeout))

(define-read-only (is-paused)
  (var-get paused))

(define-read-only (get-contract-owner)
  (var-get contract-owner))

(define-read-only (is-emergency-responder (responder principal))
  (default-to false (map-get? emergency-responders responder)))

(define-read-only (get-stats)
  {
    total-patients: (var-get total-patients),
    total-consents-granted: (var-get total-consents-granted),
    total-consents-revoked: (var-get total-consents-revoked),
    total-emergency-overrides: (var-get total-emergency-overrides)
  })

(define-read-only (has-consent (patient principal) (provider principal) (data-type uint))
  (match (map-get? consents { patient: patient, provider: provider, data-type: data-type })
    consent (match (get expires-at consent)
      expiry (> expiry block-height)
      true)
    false))

(define-read-only (has-emergency-access (patient principal) (provider principal))
  (match (map-get? emergency-access { patient: patient, provider: provider })
    access (< block-height (get expires-at access))
    false))

(define-read-only (can-access (patient principal) (provider principal) (data-type uint))
  (or (has-consent patient provider data-type)
      (and (has-emergency-access patient provider) (is-emergency-covered data-type))))
