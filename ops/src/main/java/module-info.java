/** The CPU op set: InstanceNorm, InstanceNormGrad and the ops training needs, registered through ServiceLoader. */
module dev.ingot.ops {
    requires transitive dev.ingot.runtime;
    requires static jdk.incubator.vector;

}
