// Makes the embedded broker's SCRAM principals and ACLs what tools/devstack/kafka_security.py
// asks for (contract §6.1). aiokafka has no admin calls for either, so this runs on Kafka's own
// Java admin client, from the jars the broker runs on: `java -cp '<libs>/*' Provision.java`.
//
// stdin: {"bootstrap", "username", "password",          -- a super user of the broker
//         "users": {"name": "password"},                 -- upserted (SCRAM-SHA-512)
//         "remove_users": ["name"],                      -- their credentials and ACLs go
//         "acls": [{"principal", "resource_type", "pattern_type", "resource_name", "operation"}]}
// Every ACL of a principal named in users or remove_users that is not asked for is deleted, so
// the broker ends with exactly the table, whatever it held before.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.resource.*;

public class Provision {
    public static void main(String[] args) throws Exception {
        JsonNode spec = new ObjectMapper().readTree(System.in);
        Properties props = new Properties();
        props.put("bootstrap.servers", spec.get("bootstrap").asText());
        props.put("security.protocol", "SASL_PLAINTEXT");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + spec.get("username").asText() + "\" password=\"" + spec.get("password").asText() + "\";");
        props.put("request.timeout.ms", "30000");
        try (Admin admin = Admin.create(props)) {
            Set<String> managed = new HashSet<>();
            List<UserScramCredentialAlteration> changes = new ArrayList<>();
            spec.get("users").fields().forEachRemaining(e -> {
                managed.add(e.getKey());
                changes.add(new UserScramCredentialUpsertion(e.getKey(),
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), e.getValue().asText()));
            });
            Set<String> existing = new HashSet<>(admin.describeUserScramCredentials().users().get());
            int removed = 0;
            for (JsonNode name : spec.get("remove_users")) {
                managed.add(name.asText());
                if (existing.contains(name.asText())) {
                    changes.add(new UserScramCredentialDeletion(name.asText(), ScramMechanism.SCRAM_SHA_512));
                    removed++;
                }
            }
            admin.alterUserScramCredentials(changes).all().get();

            Set<AclBinding> wanted = new HashSet<>();
            for (JsonNode a : spec.get("acls")) {
                wanted.add(new AclBinding(
                        new ResourcePattern(ResourceType.valueOf(a.get("resource_type").asText()),
                                a.get("resource_name").asText(), PatternType.valueOf(a.get("pattern_type").asText())),
                        new AccessControlEntry(a.get("principal").asText(), "*",
                                AclOperation.valueOf(a.get("operation").asText()), AclPermissionType.ALLOW)));
            }
            Collection<AclBinding> present = admin.describeAcls(AclBindingFilter.ANY).values().get();
            List<AclBindingFilter> stale = new ArrayList<>();
            for (AclBinding b : present) {
                String principal = b.entry().principal();
                boolean ours = principal.startsWith("User:") && managed.contains(principal.substring(5));
                if (ours && !wanted.contains(b)) {
                    stale.add(b.toFilter());
                }
            }
            if (!stale.isEmpty()) {
                admin.deleteAcls(stale).all().get();
            }
            List<AclBinding> missing = new ArrayList<>();
            for (AclBinding b : wanted) {
                if (!present.contains(b)) {
                    missing.add(b);
                }
            }
            if (!missing.isEmpty()) {
                admin.createAcls(missing).all().get();
            }
            System.out.printf("principals: %d set, %d removed; ACLs: %d created, %d deleted, %d in all%n",
                    spec.get("users").size(), removed, missing.size(), stale.size(), wanted.size());
        }
    }
}
