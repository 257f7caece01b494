"""The key service's actions, declared with the gate (CloudTrail marks reads and crypto reads)."""

from bastion.gate import Action, register_actions

KEY = "AWS::KMS::Key"
ALIAS = "AWS::KMS::Alias"
SIGNING_KEYS = ("kms:MessageType", "kms:SigningAlgorithm")

ACTIONS = [
    Action(
        name="kms:CreateKey",
        resource=KEY,
        doc="Create a symmetric master key, or an asymmetric signing key (SIGN_VERIFY).",
        condition_keys=("kms:KeySpec", "kms:KeyUsage"),
    ),
    Action(name="kms:DescribeKey", resource=KEY, doc="Show a key's metadata.", read_only=True),
    Action(name="kms:ListKeys", resource=KEY, doc="List the account's keys.", read_only=True),
    Action(name="kms:CreateAlias", resource=ALIAS, doc="Give a key an alias/… name."),
    Action(name="kms:UpdateAlias", resource=ALIAS, doc="Point an alias at another key."),
    Action(name="kms:DeleteAlias", resource=ALIAS, doc="Remove an alias (the key stays)."),
    Action(name="kms:ListAliases", resource=ALIAS, doc="List aliases.", read_only=True),
    Action(name="kms:EnableKey", resource=KEY, doc="Allow a disabled key to be used again."),
    Action(name="kms:DisableKey", resource=KEY, doc="Stop a key from being used."),
    Action(
        name="kms:ScheduleKeyDeletion",
        resource=KEY,
        doc="Make a key unusable now and delete it after 7-30 days.",
    ),
    Action(
        name="kms:CancelKeyDeletion",
        resource=KEY,
        doc="Cancel a scheduled deletion; the key returns Disabled.",
    ),
    Action(
        name="kms:EnableKeyRotation",
        resource=KEY,
        doc="Rotate a key's material automatically every 90-2560 days.",
    ),
    Action(name="kms:DisableKeyRotation", resource=KEY, doc="Stop automatic rotation."),
    Action(
        name="kms:GetKeyRotationStatus",
        resource=KEY,
        doc="Show whether and when a key rotates.",
        read_only=True,
    ),
    Action(
        name="kms:RotateKeyOnDemand",
        resource=KEY,
        doc="Add a new material version now; old ciphertexts keep decrypting.",
    ),
    Action(
        name="kms:ListKeyRotations",
        resource=KEY,
        doc="List a key's completed rotations.",
        read_only=True,
    ),
    Action(name="kms:GetKeyPolicy", resource=KEY, doc="Read a key's policy.", read_only=True),
    Action(name="kms:PutKeyPolicy", resource=KEY, doc="Replace a key's policy."),
    Action(name="kms:TagResource", resource=KEY, doc="Add or change a key's tags."),
    Action(name="kms:UntagResource", resource=KEY, doc="Remove tags from a key."),
    Action(name="kms:ListResourceTags", resource=KEY, doc="List a key's tags.", read_only=True),
    Action(
        name="kms:GenerateDataKey",
        resource=KEY,
        doc="Make a data key, returned in plaintext and encrypted under the master key.",
        read_only=True,
    ),
    Action(
        name="kms:GenerateDataKeyWithoutPlaintext",
        resource=KEY,
        doc="Make a data key, returned only encrypted under the master key.",
        read_only=True,
    ),
    Action(
        name="kms:Encrypt",
        resource=KEY,
        doc="Encrypt up to 4096 bytes under a key, bound to an encryption context.",
        read_only=True,
    ),
    Action(
        name="kms:Decrypt",
        resource=KEY,
        doc="Decrypt a ciphertext blob given the same encryption context.",
        read_only=True,
    ),
    Action(
        name="kms:ReEncrypt",
        resource=KEY,
        doc="Decrypt under one key and encrypt under another without exposing the plaintext.",
        read_only=True,
    ),
    Action(
        name="kms:Sign",
        resource=KEY,
        doc="Sign up to 4096 bytes, or a digest, with an asymmetric key's private key.",
        read_only=True,
        condition_keys=SIGNING_KEYS,
    ),
    Action(
        name="kms:Verify",
        resource=KEY,
        doc="Check that a signature was made by an asymmetric key over a message or digest.",
        read_only=True,
        condition_keys=SIGNING_KEYS,
    ),
    Action(
        name="kms:GetPublicKey",
        resource=KEY,
        doc="Download an asymmetric key's public key (DER SubjectPublicKeyInfo).",
        read_only=True,
    ),
    Action(
        name="kms:RotateKey",
        resource=KEY,
        doc="Maintenance: rotate a key whose automatic rotation date has come.",
    ),
    Action(
        name="kms:DeleteKey",
        resource=KEY,
        doc="Maintenance: delete a key whose scheduled deletion date has passed.",
    ),
]

register_actions(ACTIONS)
