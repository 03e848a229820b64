# The demo's infrastructure: Terraform's built-in terraform_data and a local-exec provisioner,
# so nothing is downloaded. The provisioner shows what an apply run by Countersign sees.
variable "release" {
  type = string
}

resource "terraform_data" "release" {
  input = var.release

  provisioner "local-exec" {
    command = "echo \"release ${self.input} applied by $COUNTERSIGN_AGENT for $COUNTERSIGN_ON_BEHALF_OF, approved by $COUNTERSIGN_APPROVERS (request $COUNTERSIGN_REQUEST_ID, cloud token: $CLOUD_TOKEN)\" | tee -a deploy.log"
  }
}
